package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// A cursor is the position of the last key of a page, (created_at, id),
// signed with a key kept in the database so that the server recognises the
// cursors it issued, across restarts, and only for the organization it
// issued them to.
const (
	cursorVersion = 1
	cursorIDLen   = len("key_") + 26
	cursorMACLen  = 16
	cursorLen     = 1 + 8 + cursorIDLen + cursorMACLen
)

type position struct {
	createdAt int64
	id        string
}

func (s *Server) encodeCursor(orgID string, p position) string {
	b := make([]byte, 0, cursorLen)
	b = append(b, cursorVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(p.createdAt))
	b = append(b, p.id...)
	b = append(b, s.cursorMAC(orgID, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) decodeCursor(orgID, cursor string) (position, bool) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) != cursorLen || b[0] != cursorVersion {
		return position{}, false
	}
	payload, mac := b[:cursorLen-cursorMACLen], b[cursorLen-cursorMACLen:]
	if !hmac.Equal(mac, s.cursorMAC(orgID, payload)) {
		return position{}, false
	}
	p := position{createdAt: int64(binary.BigEndian.Uint64(payload[1:9])), id: string(payload[9:])}
	return p, validID("key", p.id)
}

func (s *Server) cursorMAC(orgID string, payload []byte) []byte {
	m := hmac.New(sha256.New, s.cursorKey)
	m.Write([]byte(orgID))
	m.Write([]byte{0})
	m.Write(payload)
	return m.Sum(nil)[:cursorMACLen]
}

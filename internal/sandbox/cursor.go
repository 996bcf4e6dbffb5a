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
)

type position struct {
	createdAt int64
	id        string
}

func (s *Server) encodeCursor(orgID string, p position) string {
	b := []byte{cursorVersion}
	b = append(b, p.id...)
	b = binary.AppendVarint(b, p.createdAt)
	b = append(b, s.cursorMAC(orgID, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) decodeCursor(orgID, cursor string) (position, bool) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) < 1+cursorIDLen+1+cursorMACLen || b[0] != cursorVersion {
		return position{}, false
	}
	payload, mac := b[:len(b)-cursorMACLen], b[len(b)-cursorMACLen:]
	if !hmac.Equal(mac, s.cursorMAC(orgID, payload)) {
		return position{}, false
	}
	createdAt, n := binary.Varint(payload[1+cursorIDLen:])
	p := position{createdAt: createdAt, id: string(payload[1 : 1+cursorIDLen])}
	return p, n == len(payload)-1-cursorIDLen && validKeyID(p.id)
}

func (s *Server) cursorMAC(orgID string, payload []byte) []byte {
	m := hmac.New(sha256.New, s.cursorKey)
	m.Write([]byte(orgID))
	m.Write([]byte{0})
	m.Write(payload)
	return m.Sum(nil)[:cursorMACLen]
}

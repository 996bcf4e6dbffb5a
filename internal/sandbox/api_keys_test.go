package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

func TestCreate(t *testing.T) {
	clock := newFakeClock()
	clock.Advance(123 * time.Millisecond) // created_at must drop the fraction
	env := sandboxtest.Start(t, withClock(clock))

	r := do(t, env.URL, request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey),
		body: `{"name":"  Roster <sync> script ","expires_at":"2027-02-23T01:00:00.25+01:00"}`})
	expectStatus(t, r, http.StatusCreated)
	k := r.key(t)

	t.Run("answers the key object with its secret", func(t *testing.T) {
		if !keyIDPattern.MatchString(k.ID) {
			t.Errorf("id %q", k.ID)
		}
		if k.Secret == nil || !secretPattern.MatchString(*k.Secret) {
			t.Fatalf("secret %v", k.Secret)
		}
		if k.SecretHint != (*k.Secret)[len(*k.Secret)-4:] {
			t.Errorf("secret_hint %q is not the last four characters of the secret", k.SecretHint)
		}
		head := env.Org.Member(sandbox.RoleHeadCoach)
		want := keyObject{ID: k.ID, OrganizationID: env.Org.ID, Name: "  Roster <sync> script ", Status: "active", SecretHint: k.SecretHint,
			Secret: k.Secret, CreatedAt: "2026-11-25T09:30:00Z", ExpiresAt: ptr("2027-02-23T00:00:00.25Z")}
		want.CreatedBy.ID, want.CreatedBy.Name = head.ID, head.Name
		if !equalKeys(k, want) {
			t.Errorf("key\n got %+v\nwant %+v", k, want)
		}
		if loc := r.header.Get("Location"); loc != "/v1/api-keys/"+k.ID {
			t.Errorf("Location %q", loc)
		}
		if r.header.Get("Idempotent-Replayed") != "" {
			t.Error("a first create says it was replayed")
		}
	})

	t.Run("every field is present, nulls included", func(t *testing.T) {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(r.body, &fields); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"id", "organization_id", "name", "status", "secret_hint", "secret", "created_at", "created_by",
			"expires_at", "revoked_at", "last_used_at"} {
			if _, ok := fields[f]; !ok {
				t.Errorf("field %q missing", f)
			}
		}
		if len(fields) != 11 {
			t.Errorf("%d fields, want 11", len(fields))
		}
	})

	t.Run("the secret is never shown again", func(t *testing.T) {
		got := do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys/" + k.ID, auth: bearer(env.HeadCoachKey)})
		expectStatus(t, got, http.StatusOK)
		read := got.key(t)
		if read.Secret != nil {
			t.Error("read shows the secret")
		}
		k.Secret = nil
		if !equalKeys(read, k) {
			t.Errorf("read\n got %+v\nwant %+v", read, k)
		}
		for _, listed := range listAll(t, env.URL, env.HeadCoachKey, 100) {
			if listed.Secret != nil {
				t.Errorf("listing shows the secret of %s", listed.ID)
			}
		}
	})

	t.Run("the new secret works", func(t *testing.T) {
		expectStatus(t, do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(*r.key(t).Secret)}), http.StatusOK)
	})
}

func TestKeyStatus(t *testing.T) {
	clock := newFakeClock()
	env := sandboxtest.Start(t, withClock(clock))
	read := func(id string) keyObject {
		t.Helper()
		r := do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys/" + id, auth: bearer(env.HeadCoachKey)})
		expectStatus(t, r, http.StatusOK)
		return r.key(t)
	}
	expiring := createKey(t, env, `{"name":"expiring","expires_at":"2026-11-25T10:30:00Z"}`)
	revokedFirst := createKey(t, env, `{"name":"revoked then expired","expires_at":"2026-11-25T10:30:00Z"}`)
	lasting := createKey(t, env, `{"name":"lasting"}`)
	revoked := revokeKey(t, env, revokedFirst.ID)
	if revoked.Status != "revoked" || revoked.RevokedAt == nil || *revoked.RevokedAt != "2026-11-25T09:30:00Z" {
		t.Fatalf("revoked key %+v", revoked)
	}

	env.Server.AdvanceClock(time.Hour)

	if got := read(expiring.ID).Status; got != "expired" {
		t.Errorf("key at its expires_at: status %q, want expired", got)
	}
	if got := read(revokedFirst.ID).Status; got != "revoked" {
		t.Errorf("revoked and expired key: status %q, want revoked", got)
	}
	var listed []string
	for _, k := range listAll(t, env.URL, env.HeadCoachKey, 100) {
		listed = append(listed, k.ID)
	}
	if want := append(memberKeyIDs(env.Org), lasting.ID); !slices.Equal(listed, want) {
		t.Errorf("listing %v, want only the active keys %v", listed, want)
	}

	t.Run("an expired key can be revoked", func(t *testing.T) {
		k := revokeKey(t, env, expiring.ID)
		if k.Status != "revoked" || k.RevokedAt == nil || *k.RevokedAt != "2026-11-25T10:30:00Z" {
			t.Errorf("%+v", k)
		}
	})
	t.Run("revoking again changes nothing", func(t *testing.T) {
		env.Server.AdvanceClock(time.Minute)
		again := revokeKey(t, env, revokedFirst.ID)
		if !equalKeys(again, revoked) {
			t.Errorf("second revoke\n got %+v\nwant %+v", again, revoked)
		}
	})
}

func TestLastUsedAt(t *testing.T) {
	clock := newFakeClock()
	env := sandboxtest.Start(t, withClock(clock))
	headID := env.Org.Member(sandbox.RoleHeadCoach).APIKeyID
	coachID := env.Org.Member(sandbox.RoleCoach).APIKeyID
	lastUsed := func(id string) *string {
		t.Helper()
		r := do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys/" + id, auth: bearer(env.HeadCoachKey)})
		expectStatus(t, r, http.StatusOK)
		return r.key(t).LastUsedAt
	}
	if got := lastUsed(coachID); got != nil {
		t.Fatalf("unused key has last_used_at %q", *got)
	}
	steps := []struct {
		advance time.Duration
		want    string
	}{
		{0, "2026-11-25T09:30:00Z"},                // the request that reads it is a use
		{30 * time.Second, "2026-11-25T09:30:00Z"}, // 30 s old: not written
		{30 * time.Second, "2026-11-25T09:30:00Z"}, // exactly 60 s old: not written
		{time.Second, "2026-11-25T09:31:01Z"},      // 61 s old: written
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		if got := lastUsed(headID); got == nil || *got != s.want {
			t.Fatalf("after %v more: last_used_at %v, want %s", s.advance, got, s.want)
		}
	}

	// A request refused for the role still passed authentication: a use.
	expectStatus(t, do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.CoachKey)}), http.StatusForbidden)
	if got := lastUsed(coachID); got == nil || *got != "2026-11-25T09:31:01Z" {
		t.Errorf("coach key after a 403: last_used_at %v", got)
	}
}

func TestIdempotency(t *testing.T) {
	create := func(t *testing.T, env *sandboxtest.Env, secret, idem, body string) *response {
		t.Helper()
		return do(t, env.URL, request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(secret), body: body,
			header: map[string]string{"Idempotency-Key": idem}})
	}
	activeCount := func(t *testing.T, env *sandboxtest.Env) int {
		t.Helper()
		ids, err := env.Server.ActiveKeyIDs(context.Background(), env.Org.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(ids)
	}

	t.Run("the same body replays the first answer", func(t *testing.T) {
		env := sandboxtest.Start(t, withClock(newFakeClock()))
		first := create(t, env, env.HeadCoachKey, "retry-1", `{"name":"a","expires_at":"2027-01-01T00:00:00Z"}`)
		expectStatus(t, first, http.StatusCreated)
		env.Server.AdvanceClock(23*time.Hour + 59*time.Minute)
		second := create(t, env, env.HeadCoachKey, "retry-1", `{"expires_at":"2027-01-01T01:00:00+01:00", "name":"a"}`)
		expectStatus(t, second, http.StatusCreated)
		if string(second.body) != string(first.body) {
			t.Errorf("replay\n got %s\nwant %s", second.body, first.body)
		}
		if second.header.Get("Idempotent-Replayed") != "true" || second.header.Get("Location") != first.header.Get("Location") {
			t.Errorf("replay headers %v", second.header)
		}
		if n := activeCount(t, env); n != 4 {
			t.Errorf("%d active keys, want the 3 members' and 1 created", n)
		}
	})

	t.Run("another body is a conflict", func(t *testing.T) {
		env := sandboxtest.Start(t, withClock(newFakeClock()))
		expectStatus(t, create(t, env, env.HeadCoachKey, "k", `{"name":"a"}`), http.StatusCreated)
		for _, body := range []string{`{"name":"b"}`, `{"name":"a","expires_at":"2027-01-01T00:00:00Z"}`, `{"name":"a "}`} {
			r := create(t, env, env.HeadCoachKey, "k", body)
			expectStatus(t, r, http.StatusConflict)
			if code := r.errorEnvelope(t).Error.Code; code != "idempotency_conflict" {
				t.Errorf("%s: code %q", body, code)
			}
		}
	})

	t.Run("scoped to the calling key", func(t *testing.T) {
		env := sandboxtest.Start(t, withClock(newFakeClock()))
		second := createKey(t, env, `{"name":"second caller"}`)
		a := create(t, env, env.HeadCoachKey, "shared", `{"name":"a"}`)
		b := create(t, env, *second.Secret, "shared", `{"name":"a"}`)
		expectStatus(t, a, http.StatusCreated)
		expectStatus(t, b, http.StatusCreated)
		if a.key(t).ID == b.key(t).ID || b.header.Get("Idempotent-Replayed") != "" {
			t.Error("another calling key got the replay")
		}
	})

	t.Run("forgotten after 24 hours", func(t *testing.T) {
		env := sandboxtest.Start(t, withClock(newFakeClock()))
		first := create(t, env, env.HeadCoachKey, "daily", `{"name":"a"}`)
		env.Server.AdvanceClock(24 * time.Hour)
		later := create(t, env, env.HeadCoachKey, "daily", `{"name":"b"}`)
		expectStatus(t, later, http.StatusCreated)
		if later.key(t).ID == first.key(t).ID || later.header.Get("Idempotent-Replayed") != "" {
			t.Error("replayed after 24 hours")
		}
	})

	t.Run("a failed request is not recorded", func(t *testing.T) {
		env := sandboxtest.Start(t, withClock(newFakeClock()))
		expectStatus(t, create(t, env, env.HeadCoachKey, "fix", `{"name":""}`), http.StatusBadRequest)
		r := create(t, env, env.HeadCoachKey, "fix", `{"name":"fixed"}`)
		expectStatus(t, r, http.StatusCreated)
		if r.header.Get("Idempotent-Replayed") != "" {
			t.Error("the create after a failure was a replay")
		}
	})

	t.Run("concurrent requests create one key", func(t *testing.T) {
		env := sandboxtest.Start(t)
		const n = 16
		ids := make([]string, n)
		replayed := make([]bool, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r, err := send(env.URL, request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey),
					body: `{"name":"once"}`, header: map[string]string{"Idempotency-Key": "race"}})
				if err != nil || r.status != http.StatusCreated {
					t.Errorf("create: %v %v", err, r)
					return
				}
				var k keyObject
				if err := json.Unmarshal(r.body, &k); err != nil {
					t.Error(err)
					return
				}
				ids[i] = k.ID
				replayed[i] = r.header.Get("Idempotent-Replayed") == "true"
			})
		}
		wg.Wait()
		created := 0
		for i := range n {
			if ids[i] != ids[0] {
				t.Errorf("request %d made key %s, request 0 key %s", i, ids[i], ids[0])
			}
			if !replayed[i] {
				created++
			}
		}
		if created != 1 || activeCount(t, env) != 4 {
			t.Errorf("%d answers were not replays and %d keys are active; want 1 and 4", created, activeCount(t, env))
		}
	})
}

// TestPaginationUnderChurn lists with small pages while keys placed among
// the listed ones are revoked and new ones created, and checks that every key
// active throughout the listing comes back exactly once. Revoking keys before
// the cursor's position is what breaks offset pagination.
func TestPaginationUnderChurn(t *testing.T) {
	env := sandboxtest.Start(t)
	stable := map[string]bool{}
	for _, id := range memberKeyIDs(env.Org) {
		stable[id] = true
	}
	for round := range 5 {
		var doomed []string
		for range 30 {
			stable[createKey(t, env, `{"name":"stable"}`).ID] = true
			doomed = append(doomed, createKey(t, env, `{"name":"doomed"}`).ID)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		churned := 0
		wg.Go(func() {
			for _, id := range doomed {
				select {
				case <-stop:
					return
				default:
				}
				if r, err := send(env.URL, request{method: http.MethodDelete, path: "/v1/api-keys/" + id, auth: bearer(env.HeadCoachKey)}); err != nil || r.status != http.StatusOK {
					t.Errorf("revoke: %v %v", err, r)
					return
				}
				if r, err := send(env.URL, request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey), body: `{"name":"new"}`}); err != nil || r.status != http.StatusCreated {
					t.Errorf("create: %v %v", err, r)
					return
				}
				churned++
			}
		})
		seen := map[string]int{}
		for _, k := range listAll(t, env.URL, env.HeadCoachKey, 1+round*2) {
			seen[k.ID]++
		}
		close(stop)
		wg.Wait()
		t.Logf("round %d: %d keys revoked and %d created during the listing", round, churned, churned)
		for id, n := range seen {
			if n > 1 {
				t.Errorf("round %d: key %s listed %d times", round, id, n)
			}
		}
		for id := range stable {
			if seen[id] != 1 {
				t.Errorf("round %d: stable key %s listed %d times", round, id, seen[id])
			}
		}
		for _, id := range doomed { // whatever the listing met, none may stay active
			revokeKey(t, env, id)
		}
	}
}

func ptr(s string) *string { return &s }

func equalKeys(a, b keyObject) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// TestOrganizationID checks that every answer holding a key names the key's
// organization, for two organizations side by side.
func TestOrganizationID(t *testing.T) {
	env := sandboxtest.Start(t)
	other, err := env.Server.CreateOrganization(context.Background(), "Other Club", sandbox.PlanTeam)
	if err != nil {
		t.Fatal(err)
	}
	for _, org := range []*sandbox.Organization{env.Org, other} {
		secret := org.Member(sandbox.RoleHeadCoach).APIKey
		call := func(method, path, body string, header map[string]string) *response {
			t.Helper()
			return do(t, env.URL, request{method: method, path: path, auth: bearer(secret), body: body, header: header})
		}
		idem := map[string]string{"Idempotency-Key": "org-id"}
		created := call(http.MethodPost, "/v1/api-keys", `{"name":"scoped"}`, idem)
		expectStatus(t, created, http.StatusCreated)
		id := created.key(t).ID
		replayed := call(http.MethodPost, "/v1/api-keys", `{"name":"scoped"}`, idem)
		expectStatus(t, replayed, http.StatusCreated)
		read := call(http.MethodGet, "/v1/api-keys/"+id, "", nil)
		expectStatus(t, read, http.StatusOK)
		revoked := call(http.MethodDelete, "/v1/api-keys/"+id, "", nil)
		expectStatus(t, revoked, http.StatusOK)
		whoAmI := call(http.MethodGet, "/v1/me", "", nil)
		expectStatus(t, whoAmI, http.StatusOK)
		var ident identityObject
		if err := json.Unmarshal(whoAmI.body, &ident); err != nil {
			t.Fatal(err)
		}
		var meKey keyObject
		if err := json.Unmarshal(ident.APIKey, &meKey); err != nil {
			t.Fatal(err)
		}

		got := map[string]string{
			"create":     created.key(t).OrganizationID,
			"replay":     replayed.key(t).OrganizationID,
			"read":       read.key(t).OrganizationID,
			"revoke":     revoked.key(t).OrganizationID,
			"GET /v1/me": meKey.OrganizationID,
		}
		for i, k := range listAll(t, env.URL, secret, 2) {
			got["list item "+strconv.Itoa(i)] = k.OrganizationID
		}
		for answer, orgID := range got {
			if orgID != org.ID {
				t.Errorf("%s: %s answers organization_id %q, want %q", org.Name, answer, orgID, org.ID)
			}
		}
	}
}

// TestFindByIdempotencyKey finds the keys that creates with an
// Idempotency-Key made, whichever key of the organization asks, whatever
// the key's status, long after the 24 hours of replay.
func TestFindByIdempotencyKey(t *testing.T) {
	clock := newFakeClock()
	env := sandboxtest.Start(t, withClock(clock))
	create := func(secret, idem, body string) keyObject {
		t.Helper()
		r := do(t, env.URL, request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(secret), body: body,
			header: map[string]string{"Idempotency-Key": idem}})
		expectStatus(t, r, http.StatusCreated)
		return r.key(t)
	}
	find := func(secret, idem string) *response {
		t.Helper()
		return do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys?" + url.Values{"idempotency_key": {idem}}.Encode(),
			auth: bearer(secret)})
	}
	// found checks that the lookup answers exactly the keys given, as a read
	// shows them now, on one page, without a secret.
	found := func(t *testing.T, r *response, want ...keyObject) {
		t.Helper()
		expectStatus(t, r, http.StatusOK)
		var raw struct {
			Data       []map[string]json.RawMessage `json:"data"`
			NextCursor json.RawMessage              `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.body, &raw); err != nil {
			t.Fatal(err)
		}
		if string(raw.NextCursor) != "null" {
			t.Errorf("next_cursor %s, want null", raw.NextCursor)
		}
		for _, k := range raw.Data {
			if _, ok := k["secret"]; ok {
				t.Errorf("the lookup shows a secret: %s", r.body)
			}
		}
		var got []string
		for _, k := range r.page(t).Data {
			got = append(got, k.ID)
		}
		var ids []string
		for i, k := range want {
			ids = append(ids, k.ID)
			if i < len(r.page(t).Data) {
				read := apiKey(t, env, k.ID)
				if !equalKeys(r.page(t).Data[i], read) {
					t.Errorf("found\n %+v\nread\n %+v", r.page(t).Data[i], read)
				}
			}
		}
		if !slices.Equal(got, ids) {
			t.Errorf("found %v, want %v", got, ids)
		}
	}

	first := create(env.HeadCoachKey, "lost-answer-1", `{"name":"lost","expires_at":"2026-11-26T09:30:00Z"}`)
	other := createKey(t, env, `{"name":"another key of the head coach"}`)

	t.Run("the calling key finds the key its create made", func(t *testing.T) {
		found(t, find(env.HeadCoachKey, "lost-answer-1"), first)
	})
	t.Run("any head coach's key of the organization finds it", func(t *testing.T) {
		found(t, find(*other.Secret, "lost-answer-1"), first)
	})
	t.Run("an unknown Idempotency-Key is not found", func(t *testing.T) {
		r := find(env.HeadCoachKey, "never-sent")
		expectStatus(t, r, http.StatusNotFound)
		if e := r.errorEnvelope(t); e.Error.Code != "not_found" || e.Error.Param != nil {
			t.Errorf("error %+v", e.Error)
		}
	})
	t.Run("another organization finds nothing", func(t *testing.T) {
		org, err := env.Server.CreateOrganization(context.Background(), "Other Club", sandbox.PlanTeam)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, find(org.Member(sandbox.RoleHeadCoach).APIKey, "lost-answer-1"), http.StatusNotFound)
	})
	t.Run("the checks of plan and role apply", func(t *testing.T) {
		r := find(env.CoachKey, "lost-answer-1")
		expectStatus(t, r, http.StatusForbidden)
		if code := r.errorEnvelope(t).Error.Code; code != "insufficient_role" {
			t.Errorf("code %q", code)
		}
		setPlan(t, env, sandbox.PlanFree)
		r = find(env.HeadCoachKey, "lost-answer-1")
		setPlan(t, env, sandbox.PlanCoach)
		expectStatus(t, r, http.StatusForbidden)
		if code := r.errorEnvelope(t).Error.Code; code != "plan_upgrade_required" {
			t.Errorf("code %q", code)
		}
	})

	clock.Advance(25 * time.Hour)
	t.Run("an expired key is found after the 24 hours of replay", func(t *testing.T) {
		found(t, find(env.HeadCoachKey, "lost-answer-1"), first)
		if got := apiKey(t, env, first.ID).Status; got != "expired" {
			t.Errorf("status %q", got)
		}
	})
	t.Run("a revoked key is found", func(t *testing.T) {
		revokeKey(t, env, first.ID)
		found(t, find(env.HeadCoachKey, "lost-answer-1"), first)
	})
	t.Run("every key made with the Idempotency-Key, newest first", func(t *testing.T) {
		// The replay is scoped to the calling key, and ends after 24 hours:
		// another key's create, or the same key's a day later, makes a key.
		byOther := create(*other.Secret, "lost-answer-1", `{"name":"made by another key"}`)
		clock.Advance(time.Second)
		again := create(env.HeadCoachKey, "lost-answer-1", `{"name":"made again after a day"}`)
		found(t, find(env.HeadCoachKey, "lost-answer-1"), again, byOther, first)
	})
	t.Run("a replay creates no key to find", func(t *testing.T) {
		a := create(env.HeadCoachKey, "replayed", `{"name":"once"}`)
		create(env.HeadCoachKey, "replayed", `{"name":"once"}`)
		found(t, find(env.HeadCoachKey, "replayed"), a)
	})
}

// TestNamesAsSent checks that a name comes back exactly as the JSON said,
// escapes and all, where it is accepted.
func TestNamesAsSent(t *testing.T) {
	env := sandboxtest.Start(t)
	for _, tt := range []struct{ json, want string }{
		{`"\ud83d\ude80 launch"`, "🚀 launch"},
		{`"\uD83D\uDE80"`, "🚀"},
		{`"a\\ud800"`, `a\ud800`},
		{`"\ufffd"`, "\ufffd"},
		{`"e\u0301"`, "e\u0301"},
		{`" \u200bx\u200b "`, " \u200bx\u200b "},
	} {
		t.Run(tt.json, func(t *testing.T) {
			k := createKey(t, env, `{"name":`+tt.json+`}`)
			if k.Name != tt.want {
				t.Errorf("created %q, want %q", k.Name, tt.want)
			}
			if got := apiKey(t, env, k.ID).Name; got != tt.want {
				t.Errorf("read %q, want %q", got, tt.want)
			}
		})
	}
}

package sandbox_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astral/terraform-provider-astral/internal/sandbox"
	"github.com/astral/terraform-provider-astral/internal/sandbox/sandboxtest"
)

// TestRules sends one request per row to a fresh sandbox (organization on the
// coach plan, clock fixed at 2026-11-25T09:30:00Z) and checks the status, the
// error code and param, and the request id on every answer.
func TestRules(t *testing.T) {
	const (
		unknownSecret = "astral_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		unknownKeyID  = "key_01JD3X8Z6W4Q9T2B7N5M1K0C3R"
	)
	post := func(env *sandboxtest.Env, body string) request {
		return request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey), body: body}
	}
	get := func(env *sandboxtest.Env, path string) request {
		return request{method: http.MethodGet, path: path, auth: bearer(env.HeadCoachKey)}
	}
	withIdem := func(rq request, key string) request {
		rq.header = map[string]string{"Idempotency-Key": key}
		return rq
	}
	otherOrgKey := func(t *testing.T, env *sandboxtest.Env) string {
		org, err := env.Server.CreateOrganization(context.Background(), "Other Club", sandbox.PlanTeam)
		if err != nil {
			t.Fatal(err)
		}
		return org.Member(sandbox.RoleHeadCoach).APIKeyID
	}
	// posting and expiring are rows' requests: a create with the body, or
	// a create of a key named "a" with the expiry.
	posting := func(body string) func(*testing.T, *sandboxtest.Env) request {
		return func(_ *testing.T, env *sandboxtest.Env) request { return post(env, body) }
	}
	expiring := func(at string) func(*testing.T, *sandboxtest.Env) request {
		return posting(`{"name":"a","expires_at":"` + at + `"}`)
	}
	padded := func(n int) string { // a valid create body of exactly n bytes
		body := `{"name":"padded"}`
		return body[:len(body)-1] + strings.Repeat(" ", n-len(body)) + "}"
	}

	tests := []struct {
		name   string
		req    func(t *testing.T, env *sandboxtest.Env) request
		status int
		code   string
		param  string
	}{
		// 1. Authentication.
		{name: "no Authorization header", status: 401, code: "unauthenticated",
			req: func(_ *testing.T, _ *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/v1/api-keys"}
			}},
		{name: "not the Bearer scheme", status: 401, code: "unauthenticated",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/v1/api-keys", auth: "Basic " + env.HeadCoachKey}
			}},
		{name: "Bearer without a secret", status: 401, code: "unauthenticated",
			req: func(_ *testing.T, _ *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/v1/api-keys", auth: "Bearer"}
			}},
		{name: "malformed secret", status: 401, code: "unauthenticated",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey + "x")}
			}},
		{name: "unknown secret", status: 401, code: "unauthenticated",
			req: func(_ *testing.T, _ *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(unknownSecret)}
			}},
		{name: "revoked key, on its very next request", status: 401, code: "unauthenticated",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				revokeKey(t, env, env.Org.Member(sandbox.RoleHeadCoach).APIKeyID)
				return get(env, "/v1/api-keys")
			}},
		{name: "key that revoked itself", status: 401, code: "unauthenticated",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				k := createKey(t, env, `{"name":"self"}`)
				r := do(t, env.URL, request{method: http.MethodDelete, path: "/v1/api-keys/" + k.ID, auth: bearer(*k.Secret)})
				expectStatus(t, r, http.StatusOK)
				return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(*k.Secret)}
			}},
		{name: "key expired by the sandbox clock", status: 401, code: "unauthenticated",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				k := createKey(t, env, `{"name":"short","expires_at":"2026-11-25T10:30:00Z"}`)
				env.Server.AdvanceClock(time.Hour)
				return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(*k.Secret)}
			}},
		{name: "key one second before its expiry", status: 200,
			req: func(t *testing.T, env *sandboxtest.Env) request {
				k := createKey(t, env, `{"name":"short","expires_at":"2026-11-25T10:30:00Z"}`)
				env.Server.AdvanceClock(time.Hour - time.Second)
				return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(*k.Secret)}
			}},
		{name: "authentication before validation", status: 401, code: "unauthenticated",
			req: func(_ *testing.T, _ *sandboxtest.Env) request {
				return request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(unknownSecret), body: strings.Repeat("x", 70000)}
			}},

		// 2. Plan, then 3. role.
		{name: "free plan, head coach", status: 403, code: "plan_upgrade_required",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				setPlan(t, env, sandbox.PlanFree)
				return get(env, "/v1/api-keys")
			}},
		{name: "free plan is checked before the role", status: 403, code: "plan_upgrade_required",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				setPlan(t, env, sandbox.PlanFree)
				return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.AthleteKey)}
			}},
		{name: "plan upgraded back takes effect on the next request", status: 200,
			req: func(t *testing.T, env *sandboxtest.Env) request {
				setPlan(t, env, sandbox.PlanFree)
				expectStatus(t, do(t, env.URL, get(env, "/v1/api-keys")), http.StatusForbidden)
				setPlan(t, env, sandbox.PlanEnterprise)
				return get(env, "/v1/api-keys")
			}},
		{name: "coach", status: 403, code: "insufficient_role",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.CoachKey)}
			}},
		{name: "athlete", status: 403, code: "insufficient_role",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodDelete, path: "/v1/api-keys/" + unknownKeyID, auth: bearer(env.AthleteKey)}
			}},
		{name: "role checked before validation", status: 403, code: "insufficient_role",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.CoachKey), body: `{"nope":1}`}
			}},
		{name: "coach promoted to head coach", status: 201,
			req: func(t *testing.T, env *sandboxtest.Env) request {
				setRole(t, env, sandbox.RoleCoach, sandbox.RoleHeadCoach)
				return request{method: http.MethodPost, path: "/v1/api-keys", auth: bearer(env.CoachKey), body: `{"name":"new head"}`}
			}},
		{name: "previous head coach after a handover", status: 403, code: "insufficient_role",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				setRole(t, env, sandbox.RoleAthlete, sandbox.RoleHeadCoach)
				return get(env, "/v1/api-keys")
			}},

		// 5. Validation of a create.
		{name: "create", status: 201, req: func(_ *testing.T, env *sandboxtest.Env) request {
			return post(env, `{"name":"Roster sync script","expires_at":null}`)
		}},
		{name: "name missing", status: 400, code: "invalid_request", param: "name",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `{}`) }},
		{name: "name null", status: 400, code: "invalid_request", param: "name",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `{"name":null}`) }},
		{name: "name not a string", status: 400, code: "invalid_request", param: "name",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `{"name":12}`) }},
		{name: "name empty", status: 400, code: "invalid_request", param: "name",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `{"name":""}`) }},
		{name: "name only white space", status: 400, code: "invalid_request", param: "name",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"  \u00a0\u2003 "}`)
			}},
		{name: "name of 100 characters after trimming", status: 201,
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"  `+strings.Repeat("é", 100)+`  "}`)
			}},
		{name: "name of 101 characters", status: 400, code: "invalid_request", param: "name",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"`+strings.Repeat("a", 101)+`"}`)
			}},
		{name: "name with a tab", status: 400, code: "invalid_request", param: "name",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `{"name":"a\tb"}`) }},
		{name: "name with a trailing newline", status: 400, code: "invalid_request", param: "name",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `{"name":"ab\n"}`) }},
		{name: "name with a C1 control", status: 400, code: "invalid_request", param: "name",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"a\u0085b"}`)
			}},
		{name: "name not valid UTF-8", status: 400, code: "invalid_request", param: "name",
			req: posting("{\"name\":\"a\xffb\"}")},
		{name: "field name not valid UTF-8", status: 400, code: "invalid_request", req: posting("{\"name\":\"a\",\"\xff\":1}")},
		{name: "body not valid UTF-8 nor JSON", status: 400, code: "invalid_request", req: posting("\xff")},
		{name: "name with a lone high surrogate", status: 400, code: "invalid_request", param: "name",
			req: posting(`{"name":"a\ud800"}`)},
		{name: "name with a lone low surrogate", status: 400, code: "invalid_request", param: "name",
			req: posting(`{"name":"a\uDC00b"}`)},
		{name: "name with surrogates in the wrong order", status: 400, code: "invalid_request", param: "name",
			req: posting(`{"name":"\ude80\ud83d"}`)},
		{name: "name with a high surrogate before a letter", status: 400, code: "invalid_request", param: "name",
			req: posting(`{"name":"\ud83d\u0041"}`)},
		{name: "name with a surrogate pair", status: 201, req: posting(`{"name":"\ud83d\ude80 launch"}`)},
		{name: "name with an escaped backslash before ud800", status: 201, req: posting(`{"name":"a\\ud800"}`)},
		{name: "name with U+FFFD as sent", status: 201, req: posting(`{"name":"\ufffd �"}`)},
		{name: "field name with a lone surrogate", status: 400, code: "invalid_request", req: posting(`{"name":"a","\ud800":1}`)},
		{name: "expires_at with a lone surrogate", status: 400, code: "invalid_request", param: "expires_at",
			req: posting(`{"name":"a","expires_at":"2027-01-01T00:00:00Z\udfff"}`)},
		{name: "name only a zero-width space", status: 400, code: "invalid_request", param: "name",
			req: posting(`{"name":"\u200b"}`)},
		{name: "name only a byte order mark and joiners", status: 400, code: "invalid_request", param: "name",
			req: posting(`{"name":" \ufeff\u200d\u2060 "}`)},
		{name: "name only combining marks", status: 400, code: "invalid_request", param: "name",
			req: posting(`{"name":"\u0301\u20dd"}`)},
		{name: "name only a Hangul filler", status: 400, code: "invalid_request", param: "name",
			req: posting(`{"name":"\u3164"}`)},
		{name: "name only a blank Braille pattern", status: 400, code: "invalid_request", param: "name",
			req: posting(`{"name":"\u2800\u2800"}`)},
		{name: "name only a variation selector", status: 400, code: "invalid_request", param: "name",
			req: posting(`{"name":"\ufe0f"}`)},
		{name: "name of a letter and a combining mark", status: 201, req: posting(`{"name":"e\u0301"}`)},
		{name: "name of one symbol among invisible characters", status: 201, req: posting(`{"name":"\u200b\u2605\u200b"}`)},
		{name: "unknown field", status: 400, code: "invalid_request", param: "scopes",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"a","scopes":["read"]}`)
			}},
		{name: "field in another case", status: 400, code: "invalid_request", param: "Name",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `{"Name":"a"}`) }},
		{name: "field twice", status: 400, code: "invalid_request", param: "name",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"a","name":"b"}`)
			}},
		{name: "trailing JSON", status: 400, code: "invalid_request",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `{"name":"a"} {}`) }},
		{name: "trailing garbage", status: 400, code: "invalid_request",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `{"name":"a"}x`) }},
		{name: "trailing white space", status: 201,
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, "{\"name\":\"a\"}\n\t ")
			}},
		{name: "empty body", status: 400, code: "invalid_request",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, ``) }},
		{name: "JSON null body", status: 400, code: "invalid_request",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `null`) }},
		{name: "JSON array body", status: 400, code: "invalid_request",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `[{"name":"a"}]`) }},
		{name: "truncated JSON", status: 400, code: "invalid_request",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, `{"name":"a"`) }},
		{name: "body of exactly 64 KiB", status: 201,
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, padded(65536)) }},
		{name: "body one byte over 64 KiB", status: 413, code: "request_too_large",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return post(env, padded(65537)) }},
		{name: "expires_at in the future with an offset", status: 201,
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"a","expires_at":"2026-11-25T11:30:00.5+02:00"}`)
			}},
		{name: "expires_at now", status: 400, code: "invalid_request", param: "expires_at",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"a","expires_at":"2026-11-25T09:30:00Z"}`)
			}},
		{name: "expires_at in the past by the sandbox clock", status: 400, code: "invalid_request", param: "expires_at",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				env.Server.AdvanceClock(48 * time.Hour)
				return post(env, `{"name":"a","expires_at":"2026-11-26T09:30:00Z"}`)
			}},
		{name: "expires_at without an offset", status: 400, code: "invalid_request", param: "expires_at",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"a","expires_at":"2027-01-01T00:00:00"}`)
			}},
		{name: "expires_at a date only", status: 400, code: "invalid_request", param: "expires_at",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"a","expires_at":"2027-01-01"}`)
			}},
		{name: "expires_at in year 10000", status: 400, code: "invalid_request", param: "expires_at",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"a","expires_at":"10000-01-01T00:00:00Z"}`)
			}},
		{name: "expires_at in year 9999", status: 201,
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"a","expires_at":"9999-12-31T23:59:59Z"}`)
			}},
		{name: "expires_at with the offset +14:00", status: 201, req: expiring("2027-01-01T00:00:00+14:00")},
		{name: "expires_at with the offset -12:00", status: 201, req: expiring("2027-01-01T00:00:00-12:00")},
		{name: "expires_at with the offset +05:45", status: 201, req: expiring("2027-01-01T00:00:00+05:45")},
		{name: "expires_at with the offset -00:00", status: 201, req: expiring("2027-01-01T00:00:00-00:00")},
		{name: "expires_at with the offset +14:01", status: 400, code: "invalid_request", param: "expires_at",
			req: expiring("2027-01-01T00:00:00+14:01")},
		{name: "expires_at with the offset -12:01", status: 400, code: "invalid_request", param: "expires_at",
			req: expiring("2027-01-01T00:00:00-12:01")},
		{name: "expires_at with the offset +23:59", status: 400, code: "invalid_request", param: "expires_at",
			req: expiring("2027-01-01T00:00:00+23:59")},
		{name: "expires_at with the offset +24:00", status: 400, code: "invalid_request", param: "expires_at",
			req: expiring("2027-01-01T00:00:00+24:00")},
		{name: "expires_at with 60 offset minutes", status: 400, code: "invalid_request", param: "expires_at",
			req: expiring("2027-01-01T00:00:00+05:60")},
		{name: "expires_at with nine fractional digits", status: 201, req: expiring("2027-01-01T00:00:00.123456789Z")},
		{name: "expires_at with ten fractional digits", status: 400, code: "invalid_request", param: "expires_at",
			req: expiring("2027-01-01T00:00:00.1234567891Z")},
		{name: "expires_at with a comma before the fraction", status: 400, code: "invalid_request", param: "expires_at",
			req: expiring("2027-01-01T00:00:00,5Z")},
		{name: "expires_at with a one-digit hour", status: 400, code: "invalid_request", param: "expires_at",
			req: expiring("2027-01-01T1:00:00Z")},
		{name: "expires_at a number", status: 400, code: "invalid_request", param: "expires_at",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return post(env, `{"name":"a","expires_at":1798761600}`)
			}},
		{name: "Idempotency-Key of 255 characters", status: 201,
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return withIdem(post(env, `{"name":"a"}`), strings.Repeat("k", 255))
			}},
		{name: "Idempotency-Key of 256 characters", status: 400, code: "invalid_request", param: "Idempotency-Key",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return withIdem(post(env, `{"name":"a"}`), strings.Repeat("k", 256))
			}},
		{name: "Idempotency-Key empty", status: 400, code: "invalid_request", param: "Idempotency-Key",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return withIdem(post(env, `{"name":"a"}`), "")
			}},
		{name: "Idempotency-Key not ASCII", status: 400, code: "invalid_request", param: "Idempotency-Key",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return withIdem(post(env, `{"name":"a"}`), "clé")
			}},
		{name: "Idempotency-Key with a tab", status: 400, code: "invalid_request", param: "Idempotency-Key",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return withIdem(post(env, `{"name":"a"}`), "a\tb")
			}},
		{name: "Idempotency-Key reused with another body", status: 409, code: "idempotency_conflict",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				expectStatus(t, do(t, env.URL, withIdem(post(env, `{"name":"a"}`), "k1")), http.StatusCreated)
				return withIdem(post(env, `{"name":"b"}`), "k1")
			}},

		// 5. Validation of a listing.
		{name: "limit 1", status: 200,
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?limit=1")
			}},
		{name: "limit 100", status: 200,
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?limit=100")
			}},
		{name: "limit 0", status: 400, code: "invalid_request", param: "limit",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?limit=0")
			}},
		{name: "limit 101", status: 400, code: "invalid_request", param: "limit",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?limit=101")
			}},
		{name: "limit negative", status: 400, code: "invalid_request", param: "limit",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?limit=-1")
			}},
		{name: "limit with a sign", status: 400, code: "invalid_request", param: "limit",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?limit=%2B5")
			}},
		{name: "limit not an integer", status: 400, code: "invalid_request", param: "limit",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?limit=2.5")
			}},
		{name: "limit empty", status: 400, code: "invalid_request", param: "limit",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return get(env, "/v1/api-keys?limit=") }},
		{name: "limit twice", status: 400, code: "invalid_request", param: "limit",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?limit=2&limit=3")
			}},
		{name: "cursor the server did not issue", status: 400, code: "invalid_request", param: "cursor",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?cursor=abc")
			}},
		{name: "cursor empty", status: 400, code: "invalid_request", param: "cursor",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?cursor=")
			}},
		{name: "cursor with a changed byte", status: 400, code: "invalid_request", param: "cursor",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				c := firstCursor(t, env, env.HeadCoachKey)
				flipped := []byte(c)
				flipped[3] ^= 1
				return get(env, "/v1/api-keys?limit=1&cursor="+string(flipped))
			}},
		{name: "cursor issued to another organization", status: 400, code: "invalid_request", param: "cursor",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				other, err := env.Server.CreateOrganization(context.Background(), "Other Club", sandbox.PlanCoach)
				if err != nil {
					t.Fatal(err)
				}
				c := firstCursor(t, env, other.Member(sandbox.RoleHeadCoach).APIKey)
				return get(env, "/v1/api-keys?limit=1&cursor="+c)
			}},
		{name: "cursor issued to the organization", status: 200,
			req: func(t *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?limit=1&cursor="+firstCursor(t, env, env.HeadCoachKey))
			}},

		// 5. Validation of a lookup by Idempotency-Key.
		{name: "idempotency_key of a create", status: 200,
			req: func(t *testing.T, env *sandboxtest.Env) request {
				expectStatus(t, do(t, env.URL, withIdem(post(env, `{"name":"a"}`), "k 1;%+")), http.StatusCreated)
				return get(env, "/v1/api-keys?idempotency_key=k+1%3B%25%2B")
			}},
		{name: "idempotency_key of 255 characters", status: 404, code: "not_found",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?idempotency_key="+strings.Repeat("k", 255))
			}},
		{name: "idempotency_key of 256 characters", status: 400, code: "invalid_request", param: "idempotency_key",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?idempotency_key="+strings.Repeat("k", 256))
			}},
		{name: "idempotency_key empty", status: 400, code: "invalid_request", param: "idempotency_key",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return get(env, "/v1/api-keys?idempotency_key=") }},
		{name: "idempotency_key twice", status: 400, code: "invalid_request", param: "idempotency_key",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?idempotency_key=a&idempotency_key=a")
			}},
		{name: "idempotency_key not ASCII", status: 400, code: "invalid_request", param: "idempotency_key",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?idempotency_key=cl%C3%A9")
			}},
		{name: "idempotency_key with a tab", status: 400, code: "invalid_request", param: "idempotency_key",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?idempotency_key=a%09b")
			}},
		{name: "idempotency_key badly percent-encoded", status: 400, code: "invalid_request", param: "idempotency_key",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?idempotency_key=a%zzb")
			}},
		{name: "idempotency_key with a raw semicolon", status: 400, code: "invalid_request", param: "idempotency_key",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return get(env, "/v1/api-keys?idempotency_key=a;b") }},
		{name: "idempotency_key with limit", status: 400, code: "invalid_request", param: "limit",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?idempotency_key=a&limit=10")
			}},
		{name: "idempotency_key with cursor", status: 400, code: "invalid_request", param: "cursor",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?cursor="+firstCursor(t, env, env.HeadCoachKey)+"&idempotency_key=a")
			}},
		{name: "idempotency_key with an empty limit", status: 400, code: "invalid_request", param: "limit",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys?limit=&idempotency_key=a")
			}},
		{name: "idempotency_key asked by a coach", status: 403, code: "insufficient_role",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/v1/api-keys?idempotency_key=", auth: bearer(env.CoachKey)}
			}},
		{name: "a listing with a badly encoded parameter", status: 400, code: "invalid_request", param: "limit",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return get(env, "/v1/api-keys?limit=1%") }},
		{name: "a listing with a badly encoded parameter name", status: 400, code: "invalid_request",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return get(env, "/v1/api-keys?li%zzmit=1") }},
		{name: "a listing ignores other parameters", status: 200,
			req: func(_ *testing.T, env *sandboxtest.Env) request { return get(env, "/v1/api-keys?expand=all&limit=2") }},

		// Route: read and revoke.
		{name: "read a key", status: 200,
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys/"+env.Org.Member(sandbox.RoleCoach).APIKeyID)
			}},
		{name: "read a key of another organization", status: 404, code: "not_found",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys/"+otherOrgKey(t, env))
			}},
		{name: "revoke a key of another organization", status: 404, code: "not_found",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodDelete, path: "/v1/api-keys/" + otherOrgKey(t, env), auth: bearer(env.HeadCoachKey)}
			}},
		{name: "read an unknown key", status: 404, code: "not_found",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys/"+unknownKeyID)
			}},
		{name: "read a malformed id", status: 404, code: "not_found",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return get(env, "/v1/api-keys/nope") }},
		{name: "read a lower-case id", status: 404, code: "not_found",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys/"+strings.ToLower(env.Org.Member(sandbox.RoleCoach).APIKeyID))
			}},
		{name: "revoke an unknown key", status: 404, code: "not_found",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodDelete, path: "/v1/api-keys/" + unknownKeyID, auth: bearer(env.HeadCoachKey)}
			}},

		// Routes.
		{name: "unknown route under /v1", status: 404, code: "not_found",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return get(env, "/v1/members") }},
		{name: "/v1 itself", status: 404, code: "not_found",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return get(env, "/v1") }},
		{name: "trailing slash", status: 404, code: "not_found",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return get(env, "/v1/api-keys/") }},
		{name: "path below a key", status: 404, code: "not_found",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return get(env, "/v1/api-keys/"+unknownKeyID+"/secret")
			}},
		{name: "outside /v1", status: 404, code: "not_found",
			req: func(_ *testing.T, env *sandboxtest.Env) request { return get(env, "/") }},
		{name: "PUT on the collection", status: 405, code: "method_not_allowed",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodPut, path: "/v1/api-keys", auth: bearer(env.HeadCoachKey)}
			}},
		{name: "PATCH on a key, even unauthenticated", status: 405, code: "method_not_allowed",
			req: func(_ *testing.T, _ *sandboxtest.Env) request {
				return request{method: http.MethodPatch, path: "/v1/api-keys/" + unknownKeyID}
			}},

		// Who am I: authentication alone applies.
		{name: "GET /v1/me with the athlete's key", status: 200,
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/v1/me", auth: bearer(env.AthleteKey)}
			}},
		{name: "GET /v1/me on the free plan", status: 200,
			req: func(t *testing.T, env *sandboxtest.Env) request {
				setPlan(t, env, sandbox.PlanFree)
				return request{method: http.MethodGet, path: "/v1/me", auth: bearer(env.CoachKey)}
			}},
		{name: "GET /v1/me with a revoked key", status: 401, code: "unauthenticated",
			req: func(t *testing.T, env *sandboxtest.Env) request {
				revokeKey(t, env, env.Org.Member(sandbox.RoleCoach).APIKeyID)
				return request{method: http.MethodGet, path: "/v1/me", auth: bearer(env.CoachKey)}
			}},
		{name: "DELETE /v1/me", status: 405, code: "method_not_allowed",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodDelete, path: "/v1/me", auth: bearer(env.HeadCoachKey)}
			}},

		// The two surfaces keep their credentials apart.
		{name: "admin token on /v1", status: 401, code: "unauthenticated",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/v1/api-keys", auth: bearer(env.Server.AdminToken())}
			}},
		{name: "Astral key on /_sandbox", status: 401, code: "unauthenticated",
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/_sandbox/stats", auth: bearer(env.HeadCoachKey)}
			}},
		{name: "no token on /_sandbox", status: 401, code: "unauthenticated",
			req: func(_ *testing.T, _ *sandboxtest.Env) request {
				return request{method: http.MethodPost, path: "/_sandbox/clock", body: `{"advance_seconds":60}`}
			}},
		{name: "admin token on /_sandbox", status: 200,
			req: func(_ *testing.T, env *sandboxtest.Env) request {
				return request{method: http.MethodGet, path: "/_sandbox/stats", auth: bearer(env.Server.AdminToken())}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := sandboxtest.Start(t, withClock(newFakeClock()))
			r := do(t, env.URL, tt.req(t, env))
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			id := r.header.Get("X-Request-Id")
			if !requestIDPattern.MatchString(id) {
				t.Errorf("X-Request-Id %q", id)
			}
			if tt.code == "" {
				return
			}
			e := r.errorEnvelope(t)
			if e.Error.Code != tt.code || e.Error.Message == "" || e.Error.RequestID != id {
				t.Errorf("error %+v, want code %q, a message and request id %q", e.Error, tt.code, id)
			}
			switch {
			case tt.param == "" && e.Error.Param != nil:
				t.Errorf("param %q, want none", *e.Error.Param)
			case tt.param != "" && (e.Error.Param == nil || *e.Error.Param != tt.param):
				t.Errorf("param %v, want %q", e.Error.Param, tt.param)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func setPlan(t *testing.T, env *sandboxtest.Env, plan sandbox.Plan) {
	t.Helper()
	if err := env.Server.SetPlan(context.Background(), env.Org.ID, plan); err != nil {
		t.Fatal(err)
	}
}

// setRole gives the member who had role from at set-up the role to.
func setRole(t *testing.T, env *sandboxtest.Env, from, to sandbox.Role) {
	t.Helper()
	if err := env.Server.SetRole(context.Background(), env.Org.Member(from).ID, to); err != nil {
		t.Fatal(err)
	}
}

// firstCursor is the next_cursor of a one-key first page.
func firstCursor(t *testing.T, env *sandboxtest.Env, secret string) string {
	t.Helper()
	r := do(t, env.URL, request{method: http.MethodGet, path: "/v1/api-keys?limit=1", auth: bearer(secret)})
	expectStatus(t, r, http.StatusOK)
	p := r.page(t)
	if p.NextCursor == nil {
		t.Fatal("first page of one key has no next_cursor")
	}
	return *p.NextCursor
}

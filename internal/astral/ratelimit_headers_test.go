package astral

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRateLimitPolicy(t *testing.T) {
	tests := []struct {
		value  string
		want   RateLimitPolicy
		wantOK bool
	}{
		{"8;w=1;rate=8", RateLimitPolicy{8, 8}, true},
		{"1;w=1;rate=0.25", RateLimitPolicy{1, 0.25}, true},
		{"2;rate=2", RateLimitPolicy{2, 2}, true},
		{"10;w=2;rate=5", RateLimitPolicy{10, 2.5}, true},
		{"60;w=60", RateLimitPolicy{60, 1}, true},
		{` 5 ; w="1" ; rate=5 , 100;w=60`, RateLimitPolicy{5, 5}, true},
		{"", RateLimitPolicy{}, false},
		{"many", RateLimitPolicy{}, false},
		{"0;w=1;rate=1", RateLimitPolicy{}, false},
		{"-3;w=1;rate=1", RateLimitPolicy{}, false},
		{"5;w=0;rate=5", RateLimitPolicy{}, false},
		{"5;w=1;rate=-5", RateLimitPolicy{}, false},
		{"5;w=1;rate=NaN", RateLimitPolicy{}, false},
		{"5;w=1;rate=fast", RateLimitPolicy{}, false},
	}
	for _, tt := range tests {
		got, ok := parseRateLimitPolicy(tt.value)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRateLimitPolicy(%q) = %+v, %v; want %+v, %v", tt.value, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"when it is absent", "", 0, false},
		{"when it is a number of seconds", "7", 7 * time.Second, true},
		{"when it is zero", "0", 0, true},
		{"when it is negative", "-3", 0, false},
		{"when it is fractional", "1.5", 0, false},
		{"when it is garbage", "soon", 0, false},
		{"when it is an IMF date", "Wed, 25 Nov 2026 09:30:12 GMT", 12 * time.Second, true},
		{"when it is an RFC 850 date", "Wednesday, 25-Nov-26 09:31:00 GMT", time.Minute, true},
		{"when it is an ANSI C date", "Wed Nov 25 09:30:05 2026", 5 * time.Second, true},
		{"when the date is past", "Wed, 25 Nov 2026 09:00:00 GMT", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.value, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tt.value, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseRateHeaders(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   rateHeaders
	}{
		{"without headers", http.Header{}, rateHeaders{remaining: -1}},
		{"a policy and the requests left", http.Header{"Ratelimit-Policy": {"8;w=1;rate=8"}, "Ratelimit-Remaining": {"3"}},
			rateHeaders{policy: RateLimitPolicy{8, 8}, hasPolicy: true, remaining: 3}},
		{"a 429's headers", http.Header{"Ratelimit-Policy": {"2;w=1;rate=2"}, "Ratelimit-Remaining": {"0"}, "Retry-After": {"1"}},
			rateHeaders{policy: RateLimitPolicy{2, 2}, hasPolicy: true, remaining: 0, retryAfter: time.Second, hasRetryAfter: true}},
		{"malformed values count as absent", http.Header{"Ratelimit-Policy": {"two"}, "Ratelimit-Remaining": {"-1"}, "Retry-After": {"soon"}},
			rateHeaders{remaining: -1}},
		{"a Retry-After date", http.Header{"Retry-After": {"Wed, 25 Nov 2026 09:30:12 GMT"}},
			rateHeaders{remaining: -1, retryAfter: 12 * time.Second, hasRetryAfter: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRateHeaders(tt.header, now); got != tt.want {
				t.Errorf("parseRateHeaders = %+v, want %+v", got, tt.want)
			}
		})
	}
	if h := parseRateHeaders(http.Header{"Retry-After": {"1"}}, now); !h.saysHowToWait() {
		t.Error("a Retry-After does not say how to wait")
	}
	if h := parseRateHeaders(http.Header{"Ratelimit-Policy": {"2;w=1;rate=2"}}, now); !h.saysHowToWait() {
		t.Error("a policy does not say how to wait")
	}
	if h := parseRateHeaders(http.Header{"Ratelimit-Remaining": {"0"}}, now); h.saysHowToWait() {
		t.Error("a bare RateLimit-Remaining says how to wait")
	}
}

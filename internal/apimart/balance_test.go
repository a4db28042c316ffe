package apimart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestDecodeBalance(t *testing.T) {
	credits := func(f float64) *float64 { return &f }
	tests := []struct {
		name string
		body string
		want Balance
	}{
		{"documented answer", balanceOK, Balance{Remaining: 10.5, Used: 2.3}},
		{"remain_balance -1 is unlimited", `{"success":true,"remain_balance":-1,"used_balance":0}`,
			Balance{Remaining: -1, Unlimited: true}},
		{"unlimited_quota is unlimited", `{"success":true,"remain_balance":3,"used_balance":1,"unlimited_quota":true}`,
			Balance{Remaining: 3, Used: 1, Unlimited: true}},
		{"unlimited without remain_balance", `{"success":true,"unlimited_quota":"true"}`,
			Balance{Remaining: -1, Unlimited: true}},
		{"credits when sent", `{"remain_balance":"7","used_balance":3,"remain_credits":700,"used_credits":"300"}`,
			Balance{Remaining: 7, Used: 3, RemainingCredits: credits(700), UsedCredits: credits(300)}},
		{"null credits read as not sent", `{"remain_balance":1,"remain_credits":null}`, Balance{Remaining: 1}},
		{"no used_balance reads as 0", `{"remain_balance":0.5}`, Balance{Remaining: 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeBalance(200, []byte(tt.body))
			if err != nil {
				t.Fatalf("decodeBalance: %v", err)
			}
			if render(*got) != render(tt.want) {
				t.Errorf("got %s, want %s", render(*got), render(tt.want))
			}
		})
	}
}

// render shows every field, the credits' values rather than their addresses.
func render(b Balance) string {
	amount := func(f *float64) string {
		if f == nil {
			return "nil"
		}
		return fmt.Sprint(*f)
	}
	return fmt.Sprintf("remaining %v used %v unlimited %v credits %s/%s",
		b.Remaining, b.Used, b.Unlimited, amount(b.RemainingCredits), amount(b.UsedCredits))
}

func TestDecodeBalanceFailures(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantAPI  bool // an *APIError: the server said it failed
		wantText string
	}{
		{"success false", balanceFailed, true, "Token Not Found"},
		{"success false without a balance of 0", `{"success":false,"message":"User Quota Query Failed","remain_balance":0}`, true, "User Quota Query Failed"},
		{"no remain_balance", `{"success":true}`, false, "no remain_balance"},
		{"remain_balance not a number", `{"success":true,"remain_balance":"plenty"}`, false, "remain_balance is not a number"},
		{"used_credits not a number", `{"remain_balance":1,"used_credits":{}}`, false, "used_credits is not a number"},
		{"not JSON", `<html>`, false, "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := decodeBalance(200, []byte(tt.body))
			var apiErr *APIError
			if err == nil || errors.As(err, &apiErr) != tt.wantAPI || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("decodeBalance = %+v, %v; want an error with %q (APIError %v)", b, err, tt.wantText, tt.wantAPI)
			}
		})
	}
}

func TestBalanceScopes(t *testing.T) {
	srv := startScript(t, reply(200, balanceOK))
	c := newTestClient(t, testConfig(srv.URL))
	for _, scope := range BalanceScopes() {
		if _, err := c.Balance(context.Background(), scope); err != nil {
			t.Fatalf("Balance(%s): %v", scope, err)
		}
	}
	if _, err := c.Balance(context.Background(), "team"); err == nil || !strings.Contains(err.Error(), `"team"`) {
		t.Errorf("an unknown scope gave %v, want an error naming it", err)
	}
	hits := srv.Hits()
	if len(hits) != 2 || hits[0].path != "/v1/balance" || hits[1].path != "/v1/user/balance" || hits[0].method != http.MethodGet {
		t.Errorf("requests = %+v; want GET /v1/balance, then /v1/user/balance, and nothing for the unknown scope", hits)
	}
}

func TestBalanceErrors(t *testing.T) {
	tests := []struct {
		name      string
		answers   []http.HandlerFunc
		wantHits  int
		wantCheck func(error) bool
	}{
		{"success false quotes the message", []http.HandlerFunc{reply(200, balanceFailed)}, 1,
			func(err error) bool { return strings.Contains(err.Error(), "Token Not Found") }},
		{"401 is a key error, not retried", []http.HandlerFunc{reply(401, `{"error":{"message":"Failed to get token info"}}`)}, 1,
			IsUnauthorized},
		{"429 that outlasts the retries", []http.HandlerFunc{reply(429, `{"error":{"message":"slow down"}}`)}, 4,
			IsRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startScript(t, tt.answers...)
			_, err := newTestClient(t, testConfig(srv.URL)).Balance(context.Background(), ScopeKey)
			if err == nil || !tt.wantCheck(err) {
				t.Errorf("Balance = %v", err)
			}
			if hits := len(srv.Hits()); hits != tt.wantHits {
				t.Errorf("%d requests, want %d", hits, tt.wantHits)
			}
		})
	}
}

func TestBalanceRetriesA429(t *testing.T) {
	srv := startScript(t, reply(429, `{"error":{"message":"slow down"}}`, "Retry-After", "0"), reply(200, balanceOK))
	b, err := newTestClient(t, testConfig(srv.URL)).Balance(context.Background(), ScopeAccount)
	if err != nil || b.Remaining != 10.5 || len(srv.Hits()) != 2 {
		t.Fatalf("Balance = %+v, %v after %d requests; want the second answer", b, err, len(srv.Hits()))
	}
}

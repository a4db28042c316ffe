package apimart

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// BalanceScope selects whose balance Balance reads.
type BalanceScope string

// The scopes of the two balance endpoints.
const (
	// ScopeKey is the quota of the API key in use: GET /v1/balance.
	ScopeKey BalanceScope = "key"
	// ScopeAccount is the balance of the account that owns the key: GET /v1/user/balance.
	ScopeAccount BalanceScope = "account"
)

// BalanceScopes lists every scope, the default first.
func BalanceScopes() []BalanceScope { return []BalanceScope{ScopeKey, ScopeAccount} }

func (s BalanceScope) path() ([]string, error) {
	switch s {
	case ScopeKey:
		return []string{"v1", "balance"}, nil
	case ScopeAccount:
		return []string{"v1", "user", "balance"}, nil
	}
	return nil, fmt.Errorf("balance scope %q is not one of %q and %q", string(s), ScopeKey, ScopeAccount)
}

// Balance is what a balance endpoint reports, in the deployment's unit (USD, CNY or tokens).
type Balance struct {
	// Remaining is remain_balance as sent; the API sends -1 when the quota is unlimited.
	Remaining float64
	Used      float64
	// Unlimited is set when the API reports unlimited quota, or a Remaining of -1.
	Unlimited bool
	// RemainingCredits and UsedCredits are nil when the API does not send them; only some
	// deployments do.
	RemainingCredits *float64
	UsedCredits      *float64
}

// Balance reads the balance of the key or of its account. The balance endpoints report some
// failures with HTTP 200 and {"success":false,"message":...}; that is an *APIError quoting the
// message, never a balance of 0.
func (c *Client) Balance(ctx context.Context, scope BalanceScope) (*Balance, error) {
	segments, err := scope.path()
	if err != nil {
		return nil, err
	}
	status, body, err := c.get(ctx, c.endpoint(segments...))
	if err != nil {
		return nil, fmt.Errorf("reading the %s balance: %w", scope, err)
	}
	balance, err := decodeBalance(status, body)
	if err != nil {
		return nil, fmt.Errorf("reading the %s balance: %w", scope, c.redactErr(err))
	}
	return balance, nil
}

// balanceBody is the answer of a balance endpoint. The amounts stay raw so that a value that is
// not a number is an error rather than a balance of 0.
type balanceBody struct {
	envelope
	RemainBalance  json.RawMessage `json:"remain_balance"`
	UsedBalance    json.RawMessage `json:"used_balance"`
	RemainCredits  json.RawMessage `json:"remain_credits"`
	UsedCredits    json.RawMessage `json:"used_credits"`
	UnlimitedQuota flexString      `json:"unlimited_quota"`
}

// unlimitedBalance is the remain_balance the API sends for a key without a quota.
const unlimitedBalance = -1

// decodeBalance reads the answer to a 2xx balance read.
func decodeBalance(status int, body []byte) (*Balance, error) {
	var b balanceBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, unexpected("the balance answer is not JSON", body)
	}
	if apiErr := b.failure(status, body); apiErr != nil {
		return nil, apiErr
	}
	balance := &Balance{Unlimited: isTrue(b.UnlimitedQuota)}
	var remaining, used *float64
	for _, field := range []struct {
		name string
		raw  json.RawMessage
		into **float64
	}{
		{"remain_balance", b.RemainBalance, &remaining},
		{"used_balance", b.UsedBalance, &used},
		{"remain_credits", b.RemainCredits, &balance.RemainingCredits},
		{"used_credits", b.UsedCredits, &balance.UsedCredits},
	} {
		amount, err := parseAmount(field.raw)
		if err != nil {
			return nil, unexpected("the balance answer's "+field.name+" is not a number", body)
		}
		*field.into = amount
	}
	switch {
	case remaining != nil:
		balance.Remaining = *remaining
	case balance.Unlimited:
		balance.Remaining = unlimitedBalance
	default:
		return nil, unexpected("the balance answer has no remain_balance", body)
	}
	balance.Unlimited = balance.Unlimited || balance.Remaining == unlimitedBalance
	if used != nil {
		balance.Used = *used
	}
	return balance, nil
}

// parseAmount reads a JSON number, or a string holding one; nil when the field is absent or null.
func parseAmount(raw json.RawMessage) (*float64, error) {
	text := string(bytes.TrimSpace(raw))
	if text == "" || text == "null" {
		return nil, nil
	}
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, err
		}
		text = strings.TrimSpace(text)
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%q is not a finite number", text)
	}
	return &f, nil
}

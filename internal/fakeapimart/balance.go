package fakeapimart

import (
	"math"
	"net/http"
)

// Unlimited as a balance means no quota: paid tasks raise the used balance but never lower the
// remaining one, as the API's remain_balance of -1 says.
const Unlimited = -1.0

// Defaults of the balance settings: every key and the account start with StartingBalance, and
// an image of any model costs DefaultPrice unless Settings.Prices names it.
const (
	StartingBalance = 100.0
	DefaultPrice    = 0.02
)

// pay takes cost from a remaining balance, never below 0: the API's answer to a submit it cannot
// charge is not documented, so the fake accepts it and reports an empty balance.
func pay(remain, cost float64) float64 {
	if remain == Unlimited {
		return remain
	}
	return max(remain-cost, 0)
}

func balanceAnswer(remain, used float64) map[string]any {
	return map[string]any{
		"success":         true,
		"remain_balance":  roundAmount(remain),
		"used_balance":    roundAmount(used),
		"unlimited_quota": remain == Unlimited,
	}
}

func roundAmount(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// keyBalanceLocked is what the key has left. The caller holds s.mu.
func (s *Server) keyBalanceLocked(key string) float64 {
	if remain, ok := s.set.Balances[key]; ok {
		return remain
	}
	return StartingBalance
}

// chargeLocked makes the owner of a new task pay for it. The caller holds s.mu.
func (s *Server) chargeLocked(t *task) {
	price, ok := s.set.Prices[t.rec.Model]
	if !ok {
		price = DefaultPrice
	}
	t.cost = float64(t.rec.N) * price
	owner := t.rec.Owner
	s.set.Balances[owner] = pay(s.keyBalanceLocked(owner), t.cost)
	s.set.AccountBalance = pay(s.set.AccountBalance, t.cost)
	s.used[owner] += t.cost
	s.accountUsed += t.cost
}

// balanceHandler answers one of the balance endpoints: the key's own balance, or the account's.
func (s *Server) balanceHandler(ofAccount bool) v1Handler {
	return func(w http.ResponseWriter, _ *http.Request, c call) {
		s.count(&s.counts.BalanceReads)
		s.mu.Lock()
		answer := balanceAnswer(s.set.AccountBalance, s.accountUsed)
		if !ofAccount {
			answer = balanceAnswer(s.keyBalanceLocked(c.owner), s.used[c.owner])
		}
		if s.set.BalanceFailure != "" {
			answer = map[string]any{"success": false, "message": s.set.BalanceFailure}
		}
		s.mu.Unlock()
		writeOK(w, answer)
	}
}

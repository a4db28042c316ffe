package fakeapimart

import (
	"maps"
	"math"
	"net/http"
)

// Unlimited as a balance means no quota: paid tasks raise the used balance but never lower the
// remaining one, as the API's remain_balance of -1 says.
const Unlimited = -1.0

// Defaults of the balance knobs: every key and the account start with StartingBalance, and an
// image of any model costs DefaultPrice until SetPrice says otherwise.
const (
	StartingBalance = 100.0
	DefaultPrice    = 0.02
)

// wallet is a balance that paid tasks draw on.
type wallet struct {
	remain, used float64
}

func newWallet() *wallet { return &wallet{remain: StartingBalance} }

// pay never takes remain below 0: the API's answer to a submit it cannot charge is not
// documented, so the fake accepts it and reports an empty balance.
func (w *wallet) pay(cost float64) {
	w.used += cost
	if w.remain != Unlimited {
		w.remain = max(w.remain-cost, 0)
	}
}

func (w *wallet) answer() map[string]any {
	return map[string]any{
		"success":         true,
		"remain_balance":  roundAmount(w.remain),
		"used_balance":    roundAmount(w.used),
		"unlimited_quota": w.remain == Unlimited,
	}
}

func roundAmount(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// SetBalance sets what the key has left from now on; Unlimited removes its quota.
func (s *Server) SetBalance(key string, remain float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyWalletLocked(key).remain = remain
}

// SetAccountBalance sets what the account, which owns every key, has left from now on;
// Unlimited removes its quota.
func (s *Server) SetAccountBalance(remain float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.account.remain = remain
}

// SetPrice sets what one image of the model costs in tasks created from now on.
func (s *Server) SetPrice(model string, perImage float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prices[model] = max(perImage, 0)
}

// FailBalanceReads makes both balance endpoints answer HTTP 200 with {"success":false} and the
// message, as the API does when it cannot read a quota; "" restores the normal answer.
func (s *Server) FailBalanceReads(message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balanceFailure = message
}

// keyWalletLocked returns the key's wallet, created on first use. The caller holds s.mu.
func (s *Server) keyWalletLocked(key string) *wallet {
	w, ok := s.wallets[key]
	if !ok {
		w = newWallet()
		s.wallets[key] = w
	}
	return w
}

// chargeLocked makes the owner of a new task pay for it. The caller holds s.mu.
func (s *Server) chargeLocked(t *task) {
	price, ok := s.prices[t.rec.Model]
	if !ok {
		price = DefaultPrice
	}
	t.cost = float64(t.rec.N) * price
	s.keyWalletLocked(t.rec.Owner).pay(t.cost)
	s.account.pay(t.cost)
}

func (s *Server) pricesLocked() map[string]float64 { return maps.Clone(s.prices) }

// balanceHandler answers one of the balance endpoints: the key's own wallet, or the account's.
func (s *Server) balanceHandler(ofAccount bool) v1Handler {
	return func(w http.ResponseWriter, _ *http.Request, c call) {
		s.counters.balanceReads.Add(1)
		s.mu.Lock()
		failure := s.balanceFailure
		wallet := s.account
		if !ofAccount {
			wallet = s.keyWalletLocked(c.owner)
		}
		answer := wallet.answer()
		s.mu.Unlock()
		if failure != "" {
			answer = map[string]any{"success": false, "message": failure}
		}
		writeOK(w, answer)
	}
}

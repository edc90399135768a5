package store

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestBetaCards(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.UpdateBetaCard("a1", "b1", func(*BetaCard) error { return nil }); !errors.Is(err, ErrNoBetaCard) {
		t.Fatalf("update of a missing card: %v", err)
	}
	if err := s.PutBetaCard(BetaCard{AppID: "a1", BuildID: "b1", BuildNumber: "4", Channel: "C1", TS: "1.2"}); err != nil {
		t.Fatal(err)
	}
	c, err := s.UpdateBetaCard("a1", "b1", func(c *BetaCard) error { c.Rev++; c.Available = append(c.Available, "g1"); return nil })
	if err != nil || c.Rev != 1 || len(c.Available) != 1 {
		t.Fatalf("update = %+v, %v", c, err)
	}
	got, ok, err := s.GetBetaCard("a1", "b1")
	if err != nil || !ok || got.TS != "1.2" || got.Rev != 1 || got.CreatedAt.IsZero() {
		t.Fatalf("get = %+v, %v, %v", got, ok, err)
	}
	if _, ok, _ := s.GetBetaCard("a1", "b2"); ok {
		t.Fatal("found a card that was never stored")
	}
	all, err := s.ListBetaCards()
	if err != nil || len(all) != 1 {
		t.Fatalf("list = %+v, %v", all, err)
	}
	if err := s.PutBetaCard(BetaCard{AppID: "", BuildID: "b1"}); err == nil {
		t.Fatal("a card without app was stored")
	}
}

package store

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BetaCard is the Slack message that tracks one build's TestFlight side, and
// the states last announced for it.
type BetaCard struct {
	AppID            string `json:"app_id"`
	AppName          string `json:"app_name,omitempty"`
	BuildID          string `json:"build_id"`
	BuildNumber      string `json:"build_number,omitempty"`
	MarketingVersion string `json:"marketing_version,omitempty"`
	Channel          string `json:"channel,omitempty"`
	TS               string `json:"ts,omitempty"`
	// Rev is bumped whenever the rendered card changes; buttons carry it.
	Rev int `json:"rev,omitempty"`
	// Last seen TestFlight states (poller baseline).
	InternalState string `json:"internal_state,omitempty"`
	ExternalState string `json:"external_state,omitempty"`
	ReviewState   string `json:"review_state,omitempty"`
	// Available holds the ids of the groups whose testers were told they can
	// install the build.
	Available []string `json:"available,omitempty"`
	// Done is set once the build expired: the poller stops reading it.
	Done      bool      `json:"done,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ErrNoBetaCard is returned by UpdateBetaCard when the build has no card.
var ErrNoBetaCard = errors.New("no TestFlight card")

// PutBetaCard stores c under AppID/BuildID, replacing any previous card.
func (s *Store) PutBetaCard(c BetaCard) error {
	key, err := versionKey(c.AppID, c.BuildID, false)
	if err != nil {
		return fmt.Errorf("putting TestFlight card: %w", err)
	}
	c.CreatedAt = s.orNow(c.CreatedAt)
	c.UpdatedAt = s.orNow(c.UpdatedAt)
	return s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bucketBetaCards), key, c) })
}

// GetBetaCard returns the build's TestFlight card.
func (s *Store) GetBetaCard(appID, buildID string) (BetaCard, bool, error) {
	key, err := versionKey(appID, buildID, false)
	if err != nil {
		return BetaCard{}, false, fmt.Errorf("getting TestFlight card: %w", err)
	}
	var c BetaCard
	var found bool
	err = s.db.View(func(tx *bolt.Tx) error {
		found, err = getJSON(tx.Bucket(bucketBetaCards), key, &c)
		return err
	})
	return c, found, err
}

// ListBetaCards returns every TestFlight card.
func (s *Store) ListBetaCards() ([]BetaCard, error) {
	var out []BetaCard
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBetaCards).ForEach(func(k, v []byte) error {
			var c BetaCard
			if _, err := getJSON(tx.Bucket(bucketBetaCards), k, &c); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing TestFlight cards: %w", err)
	}
	return out, nil
}

// UpdateBetaCard applies fn to the stored card in one transaction.
func (s *Store) UpdateBetaCard(appID, buildID string, fn func(*BetaCard) error) (BetaCard, error) {
	key, err := versionKey(appID, buildID, false)
	if err != nil {
		return BetaCard{}, fmt.Errorf("updating TestFlight card: %w", err)
	}
	var c BetaCard
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBetaCards)
		found, err := getJSON(b, key, &c)
		if err != nil {
			return err
		}
		if !found {
			return ErrNoBetaCard
		}
		if err := fn(&c); err != nil {
			return err
		}
		c.UpdatedAt = s.orNow(time.Time{})
		return putJSON(b, key, c)
	})
	if err != nil {
		return BetaCard{}, fmt.Errorf("updating TestFlight card of build %s: %w", buildID, err)
	}
	return c, nil
}

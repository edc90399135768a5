package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ReleaseNotice removes the notice mark key, so that the next MarkNotice for
// it returns first=true again. The watcher claims a transition's notice with
// MarkNotice before announcing it and releases the claim when the
// announcement failed, so the transition is offered again (after a restart
// too) instead of being suppressed by its own failed claim. Releasing a key
// that is not marked is not an error.
func (s *Store) ReleaseNotice(key string) error {
	k, err := plainKey("notice", key)
	if err != nil {
		return fmt.Errorf("releasing notice: %w", err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketNotices).Delete(k) }); err != nil {
		return fmt.Errorf("releasing notice %s: %w", key, err)
	}
	return nil
}

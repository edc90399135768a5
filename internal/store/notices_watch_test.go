package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestReleaseNotice(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "n.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Unix(1700000000, 0)

	tests := []struct {
		name      string
		run       func() (bool, error)
		wantFirst bool
	}{
		{"first claim", func() (bool, error) { return s.MarkNotice("a/v/x>y/1", at) }, true},
		{"second claim refused", func() (bool, error) { return s.MarkNotice("a/v/x>y/1", at) }, false},
		{"release then claim again", func() (bool, error) {
			if err := s.ReleaseNotice("a/v/x>y/1"); err != nil {
				return false, err
			}
			return s.MarkNotice("a/v/x>y/1", at)
		}, true},
		{"other keys untouched", func() (bool, error) {
			if _, err := s.MarkNotice("other", at); err != nil {
				return false, err
			}
			if err := s.ReleaseNotice("a/v/x>y/1"); err != nil {
				return false, err
			}
			return s.MarkNotice("other", at)
		}, false},
		{"releasing an unmarked key is fine", func() (bool, error) {
			return true, s.ReleaseNotice("never-marked")
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, err := tt.run()
			if err != nil {
				t.Fatal(err)
			}
			if first != tt.wantFirst {
				t.Errorf("first = %v, want %v", first, tt.wantFirst)
			}
		})
	}
	if err := s.ReleaseNotice(""); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("ReleaseNotice(\"\") = %v, want ErrInvalidKey", err)
	}
}

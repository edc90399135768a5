package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/ascbot/ascbot/internal/testclock"
)

var t0 = time.Date(2026, 3, 4, 10, 42, 0, 123456789, time.UTC)

func openTest(t testing.TB, opts ...Option) (*Store, *testclock.Clock) {
	t.Helper()
	clk := testclock.New(t0)
	s, err := Open(filepath.Join(t.TempDir(), "ascbot.db"), append([]Option{WithClock(clk.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, clk
}

func ptr[T any](v T) *T { return &v }

func mustEqual(t *testing.T, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("\n got %+v\nwant %+v", got, want)
	}
}

func TestOpenCreatesFilesAndBuckets(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "nested")
	path := filepath.Join(dir, "ascbot.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct {
		name string
		path string
		perm os.FileMode
	}{
		{"parent dir", dir, 0o700},
		{"db file", path, 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fi, err := os.Stat(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tt.perm {
				t.Errorf("perm %v, want %v", fi.Mode().Perm(), tt.perm)
			}
		})
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if tx.Bucket(b) == nil {
				return fmt.Errorf("bucket %s missing", b)
			}
		}
		if v := string(tx.Bucket(bucketMeta).Get([]byte(metaSchemaKey))); v != strconv.Itoa(SchemaVersion) {
			return fmt.Errorf("schema version %q", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ascbot.db")
	first, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	tests := []struct {
		name     string
		opts     []Option
		min, max time.Duration
	}{
		{"short timeout", []Option{WithTimeout(100 * time.Millisecond)}, 50 * time.Millisecond, 2 * time.Second},
		{"default timeout of 1s", nil, 900 * time.Millisecond, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			second, err := Open(path, tt.opts...)
			took := time.Since(start)
			if err == nil {
				second.Close()
				t.Fatal("second Open succeeded while the first is open")
			}
			if !errors.Is(err, ErrInUse) {
				t.Fatalf("err = %v, want ErrInUse", err)
			}
			if want := "database " + path + " in use by another ascbot"; !strings.Contains(err.Error(), want) {
				t.Errorf("err = %q, want it to say %q", err, want)
			}
			if took < tt.min || took > tt.max {
				t.Errorf("took %v, want between %v and %v", took, tt.min, tt.max)
			}
		})
	}
	// Once the first closes, the file opens again.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path, WithTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatalf("reopen after close: %v", err)
	}
	again.Close()
}

func TestSchemaVersion(t *testing.T) {
	tests := []struct {
		name    string
		stored  string
		wantErr error  // nil = opens
		wantMsg string // substring
	}{
		{"same version", strconv.Itoa(SchemaVersion), nil, ""},
		{"newer version", strconv.Itoa(SchemaVersion + 1), ErrSchemaTooNew, "has schema version 3, newer than the 2 this ascbot supports"},
		{"garbage", "v1", nil, `bad value "v1"`},
		{"zero", "0", nil, `bad value "0"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ascbot.db")
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			err = s.db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put([]byte(metaSchemaKey), []byte(tt.stored))
			})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			s, err = Open(path)
			if tt.wantErr == nil && tt.wantMsg == "" {
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
				return
			}
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want %q in it", err, tt.wantMsg)
			}
			// The refused database must have been closed (lock released).
			s2, err := Open(path, WithTimeout(100*time.Millisecond))
			if errors.Is(err, ErrInUse) {
				t.Fatal("failed Open left the file locked")
			}
			if err == nil {
				s2.Close()
			}
		})
	}
}

// TestRoundTrip writes a fully populated record of every type and reads it
// back unchanged, also across a close and reopen.
func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ascbot.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	card := Card{AppID: "111", AppName: "KotenOCR", VersionID: "v-1", Version: "1.1.0", Platform: "IOS",
		Channel: "C01", TS: "1712345678.000100", BuildID: "b-4", BuildNumber: "4", SubmissionID: "s-1",
		SubmittedBy: "U0ANA", ReleasedBy: "U0BOB", LastState: "IN_REVIEW", Sandbox: true, Rev: 7,
		CreatedAt: t0, UpdatedAt: t0.Add(time.Minute)}
	seen := Seen{AppID: "111", VersionID: "v-1", Version: "1.1.0", State: "IN_REVIEW", SubmissionID: "s-1",
		SubmissionState: "IN_REVIEW", ItemStates: map[string]string{"i-1": "READY_FOR_REVIEW"},
		BuildStates: map[string]string{"b-4": "VALID"}, PhasedState: "ACTIVE", PhasedDay: 3, At: t0}
	draft := Draft{Key: "U0ANA/111/v-1", Notes: map[string]string{"en-US": "Bug fixes", "ja": "バグ修正"}, Encryption: ptr(false), UpdatedAt: t0}
	action := Action{Key: "release/111/v-1", Kind: "release", User: "U0BOB", AppID: "111", VersionID: "v-1",
		Intent: `{"version":"1.1.0"}`, StartedAt: t0}
	watch := Watch{AppID: "111", Channel: "C01", AddedBy: "U0ANA", AddedAt: t0}
	audit := AuditEntry{At: t0, User: "U0BOB", Action: "release", AppID: "111", Version: "1.1.0", Result: "ok", Detail: "manual"}

	if err := s.PutCard(card); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSeen(seen); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDraft(draft); err != nil {
		t.Fatal(err)
	}
	if _, started, err := s.BeginAction(action); err != nil || !started {
		t.Fatalf("BeginAction: %v %v", started, err)
	}
	if err := s.PutWatch(watch); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(audit); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMeta("last_poll", "2026-03-04T10:42:00Z"); err != nil {
		t.Fatal(err)
	}
	if first, err := s.MarkNotice("111/v-1/IN_REVIEW/x", t0); err != nil || !first {
		t.Fatalf("MarkNotice: %v %v", first, err)
	}
	if first, err := s.SeenEnvelope("env-1", t0); err != nil || !first {
		t.Fatalf("SeenEnvelope: %v %v", first, err)
	}

	wantAction := action
	wantAction.State = ActionStarted
	check := func(t *testing.T, s *Store) {
		tests := []struct {
			name string
			get  func() (any, bool, error)
			want any
		}{
			{"card", func() (any, bool, error) { return s.GetCard("111", "v-1") }, card},
			{"card by message", func() (any, bool, error) { return s.CardByMessage("C01", "1712345678.000100") }, card},
			{"seen", func() (any, bool, error) { return s.GetSeen("111", "v-1") }, seen},
			{"draft", func() (any, bool, error) { return s.GetDraft("U0ANA/111/v-1") }, draft},
			{"action", func() (any, bool, error) { return s.GetAction("release/111/v-1") }, wantAction},
			{"watch", func() (any, bool, error) { return s.GetWatch("111") }, watch},
			{"meta", func() (any, bool, error) { return s.GetMeta("last_poll") }, "2026-03-04T10:42:00Z"},
			{"cards list", func() (any, bool, error) { l, err := s.ListCards(); return l, true, err }, []Card{card}},
			{"seen list", func() (any, bool, error) { l, err := s.ListSeen("111"); return l, true, err }, []Seen{seen}},
			{"watch list", func() (any, bool, error) { l, err := s.ListWatches(); return l, true, err }, []Watch{watch}},
			{"audit list", func() (any, bool, error) { l, err := s.ListAudit("", 0); return l, true, err }, []AuditEntry{audit}},
			{"notice kept", func() (any, bool, error) { f, err := s.MarkNotice("111/v-1/IN_REVIEW/x", t0); return f, true, err }, false},
			{"envelope kept", func() (any, bool, error) { f, err := s.SeenEnvelope("env-1", t0); return f, true, err }, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, found, err := tt.get()
				if err != nil || !found {
					t.Fatalf("found %v err %v", found, err)
				}
				mustEqual(t, got, tt.want)
			})
		}
	}
	t.Run("open", func(t *testing.T) { check(t, s) })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Run("reopened", func(t *testing.T) { check(t, s) })
}

func TestMissingRecords(t *testing.T) {
	s, _ := openTest(t)
	tests := []struct {
		name string
		get  func() (bool, error)
	}{
		{"card", func() (bool, error) { _, f, err := s.GetCard("1", "v"); return f, err }},
		{"card by message", func() (bool, error) { _, f, err := s.CardByMessage("C1", "1.2"); return f, err }},
		{"card by empty message", func() (bool, error) { _, f, err := s.CardByMessage("", ""); return f, err }},
		{"seen", func() (bool, error) { _, f, err := s.GetSeen("1", "v"); return f, err }},
		{"draft", func() (bool, error) { _, f, err := s.GetDraft("k"); return f, err }},
		{"action", func() (bool, error) { _, f, err := s.GetAction("k"); return f, err }},
		{"watch", func() (bool, error) { _, f, err := s.GetWatch("1"); return f, err }},
		{"meta", func() (bool, error) { _, f, err := s.GetMeta("k"); return f, err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, err := tt.get()
			if err != nil || found {
				t.Fatalf("found %v err %v, want not found", found, err)
			}
		})
	}
}

func TestInvalidKeys(t *testing.T) {
	s, _ := openTest(t)
	tests := []struct {
		name string
		call func() error
	}{
		{"card empty app", func() error { return s.PutCard(Card{VersionID: "v"}) }},
		{"card slash app", func() error { return s.PutCard(Card{AppID: "1/2", VersionID: "v"}) }},
		{"card empty version", func() error { return s.PutCard(Card{AppID: "1"}) }},
		{"get card", func() error { _, _, err := s.GetCard("", "v"); return err }},
		{"update card", func() error { _, err := s.UpdateCard("1", "", func(*Card) error { return nil }); return err }},
		{"seen slash app", func() error { return s.PutSeen(Seen{AppID: "a/b"}) }},
		{"list seen empty", func() error { _, err := s.ListSeen(""); return err }},
		{"notice", func() error { _, err := s.MarkNotice("", t0); return err }},
		{"envelope", func() error { _, err := s.SeenEnvelope("", t0); return err }},
		{"draft", func() error { return s.PutDraft(Draft{}) }},
		{"action", func() error { _, _, err := s.BeginAction(Action{}); return err }},
		{"finish", func() error { return s.FinishAction("", ActionDone, "") }},
		{"watch", func() error { return s.PutWatch(Watch{}) }},
		{"unwatch", func() error { return s.DeleteWatch("x/y") }},
		{"meta", func() error { return s.PutMeta("", "v") }},
		{"meta schema key reserved", func() error { return s.PutMeta(metaSchemaKey, "9") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("err = %v, want ErrInvalidKey", err)
			}
		})
	}
	if v, _, _ := s.GetMeta(metaSchemaKey); v != strconv.Itoa(SchemaVersion) {
		t.Errorf("schema version changed to %q", v)
	}
}

func TestCardTimestampsAndUpdate(t *testing.T) {
	s, clk := openTest(t)
	if err := s.PutCard(Card{AppID: "1", VersionID: "v", Channel: "C1", TS: "100.1"}); err != nil {
		t.Fatal(err)
	}
	c, _, _ := s.GetCard("1", "v")
	if !c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(t0) {
		t.Fatalf("timestamps %v %v, want %v", c.CreatedAt, c.UpdatedAt, t0)
	}

	// A later PutCard without CreatedAt keeps the original one.
	clk.Set(t0.Add(time.Hour))
	if err := s.PutCard(Card{AppID: "1", VersionID: "v", Channel: "C1", TS: "100.1", LastState: "IN_REVIEW"}); err != nil {
		t.Fatal(err)
	}
	c, _, _ = s.GetCard("1", "v")
	if !c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after re-put: created %v updated %v", c.CreatedAt, c.UpdatedAt)
	}

	tests := []struct {
		name    string
		fn      func(*Card) error
		wantErr error
		check   func(t *testing.T, got Card)
	}{
		{"changes persisted", func(c *Card) error {
			c.LastState = "PENDING_DEVELOPER_RELEASE"
			c.Rev++
			return nil
		}, nil, func(t *testing.T, got Card) {
			if got.LastState != "PENDING_DEVELOPER_RELEASE" || got.Rev != 1 || !got.UpdatedAt.Equal(t0.Add(2*time.Hour)) {
				t.Errorf("got %+v", got)
			}
		}},
		{"fn error aborts", func(c *Card) error {
			c.LastState = "SHOULD_NOT_STICK"
			return errSentinel
		}, errSentinel, func(t *testing.T, got Card) {
			if got.LastState != "PENDING_DEVELOPER_RELEASE" {
				t.Errorf("aborted update was written: %+v", got)
			}
		}},
		{"keys cannot change", func(c *Card) error {
			c.AppID, c.VersionID = "2", "w"
			return nil
		}, nil, func(t *testing.T, got Card) {
			if _, found, _ := s.GetCard("2", "w"); found {
				t.Error("card moved to another key")
			}
		}},
		{"new message ts moves the index", func(c *Card) error {
			c.TS = "200.2"
			return nil
		}, nil, func(t *testing.T, got Card) {
			if _, found, _ := s.CardByMessage("C1", "100.1"); found {
				t.Error("old message still finds the card")
			}
			if c, found, _ := s.CardByMessage("C1", "200.2"); !found || c.VersionID != "v" {
				t.Error("new message does not find the card")
			}
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(t0.Add(time.Duration(2+i) * time.Hour))
			_, err := s.UpdateCard("1", "v", tt.fn)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			got, found, err := s.GetCard("1", "v")
			if err != nil || !found {
				t.Fatal(found, err)
			}
			tt.check(t, got)
		})
	}
	t.Run("missing card", func(t *testing.T) {
		_, err := s.UpdateCard("1", "nope", func(*Card) error { return nil })
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

var errSentinel = errors.New("sentinel")

func TestConcurrentUpdateCard(t *testing.T) {
	s, _ := openTest(t)
	if err := s.PutCard(Card{AppID: "1", VersionID: "v"}); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := s.UpdateCard("1", "v", func(c *Card) error {
				c.Rev++
				return nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	c, _, _ := s.GetCard("1", "v")
	if c.Rev != n {
		t.Fatalf("rev %d, want %d (lost updates)", c.Rev, n)
	}
}

func TestListSeenPerApp(t *testing.T) {
	s, _ := openTest(t)
	for _, v := range []Seen{
		{AppID: "1", VersionID: "b"}, {AppID: "1", VersionID: "a"}, {AppID: "1", VersionID: ""},
		{AppID: "12", VersionID: "a"}, {AppID: "2", VersionID: "a"},
	} {
		if err := s.PutSeen(v); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		app  string
		want []string
	}{
		{"1", []string{"", "a", "b"}}, // "12" must not leak in
		{"12", []string{"a"}},
		{"3", nil},
	}
	for _, tt := range tests {
		t.Run(tt.app, func(t *testing.T) {
			got, err := s.ListSeen(tt.app)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, v := range got {
				if v.AppID != tt.app {
					t.Errorf("record of app %s listed", v.AppID)
				}
				ids = append(ids, v.VersionID)
			}
			mustEqual(t, ids, tt.want)
		})
	}
}

func TestActions(t *testing.T) {
	s, clk := openTest(t)
	a := Action{Key: "k1", Kind: "release", User: "U1", Intent: "release 1.1.0", Result: "ignored", State: ActionDone}
	got, started, err := s.BeginAction(a)
	if err != nil || !started {
		t.Fatalf("first BeginAction: %v %v", started, err)
	}
	if got.State != ActionStarted || got.Result != "" || !got.StartedAt.Equal(t0) {
		t.Fatalf("begun action %+v", got)
	}
	clk.Set(t0.Add(time.Minute))
	again, started, err := s.BeginAction(Action{Key: "k1", Kind: "release", User: "U2"})
	if err != nil || started {
		t.Fatalf("second BeginAction: started %v err %v", started, err)
	}
	mustEqual(t, again, got)

	tests := []struct {
		name    string
		key     string
		state   ActionState
		wantErr error
		msg     string
	}{
		{"bad state", "k1", ActionStarted, nil, "is not done or failed"},
		{"unknown key", "nope", ActionDone, ErrNotFound, ""},
		{"finish", "k1", ActionDone, nil, ""},
		{"finish twice", "k1", ActionFailed, ErrActionFinished, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.FinishAction(tt.key, tt.state, "released")
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.msg != "":
				if err == nil || !strings.Contains(err.Error(), tt.msg) {
					t.Fatalf("err = %v, want %q", err, tt.msg)
				}
			case err != nil:
				t.Fatal(err)
			}
		})
	}
	done, _, _ := s.GetAction("k1")
	if done.State != ActionDone || done.Result != "released" || !done.FinishedAt.Equal(t0.Add(time.Minute)) || done.User != "U1" {
		t.Fatalf("finished action %+v", done)
	}
	// A finished action still blocks a new BeginAction with the same key.
	if _, started, _ := s.BeginAction(Action{Key: "k1"}); started {
		t.Fatal("BeginAction restarted a finished action")
	}
}

// TestConcurrentOnce runs each check-and-set from 20 goroutines at once and
// requires exactly one winner.
func TestConcurrentOnce(t *testing.T) {
	s, _ := openTest(t)
	tests := []struct {
		name string
		try  func(i int) (bool, error)
	}{
		{"BeginAction", func(i int) (bool, error) {
			_, started, err := s.BeginAction(Action{Key: "release/1/v", User: "U" + strconv.Itoa(i)})
			return started, err
		}},
		{"MarkNotice", func(int) (bool, error) { return s.MarkNotice("1/v/IN_REVIEW/t", t0) }},
		{"SeenEnvelope", func(int) (bool, error) { return s.SeenEnvelope("env-42", t0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 20
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				wins  []int
				start = make(chan struct{})
			)
			for i := range n {
				wg.Go(func() {
					<-start
					ok, err := tt.try(i)
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						wins = append(wins, i)
						mu.Unlock()
					}
				})
			}
			close(start)
			wg.Wait()
			if len(wins) != 1 {
				t.Fatalf("%d winners (%v), want exactly 1", len(wins), wins)
			}
		})
	}
	// Every loser of BeginAction must see the winner's record.
	a, _, _ := s.GetAction("release/1/v")
	existing, started, _ := s.BeginAction(Action{Key: "release/1/v", User: "late"})
	if started || existing.User != a.User || a.User == "late" {
		t.Fatalf("late BeginAction saw %+v (started %v), stored %+v", existing, started, a)
	}
}

func TestAuditOrdering(t *testing.T) {
	s, _ := openTest(t)
	// 500 entries in groups of 10 sharing one nanosecond, appended in time order.
	const n = 500
	for i := range n {
		e := AuditEntry{At: t0.Add(time.Duration(i/10) * time.Nanosecond), Action: "a", AppID: strconv.Itoa(i % 3), Detail: strconv.Itoa(i)}
		if err := s.AppendAudit(e); err != nil {
			t.Fatal(err)
		}
	}
	// One appended last but dated first sorts last in newest-first order.
	if err := s.AppendAudit(AuditEntry{At: t0.Add(-time.Hour), Action: "late", Detail: "early"}); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListAudit("", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n+1 {
		t.Fatalf("%d entries, want %d", len(all), n+1)
	}
	for i := range n {
		if want := strconv.Itoa(n - 1 - i); all[i].Detail != want {
			t.Fatalf("entry %d is %s, want %s (newest first, append order within a nanosecond)", i, all[i].Detail, want)
		}
	}
	if all[n].Detail != "early" {
		t.Fatalf("last entry %q, want the early-dated one", all[n].Detail)
	}

	tests := []struct {
		app   string
		limit int
		want  []string
	}{
		{"", 3, []string{"499", "498", "497"}},
		{"0", 3, []string{"498", "495", "492"}},
		{"1", 2, []string{"499", "496"}},
		{"2", 1, []string{"497"}},
		{"nope", 5, nil},
		{"1", 0, nil}, // checked by count below
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("app=%q limit=%d", tt.app, tt.limit), func(t *testing.T) {
			got, err := s.ListAudit(tt.app, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if tt.limit == 0 {
				if len(got) != 167 { // i%3==1 for i in [0,500)
					t.Fatalf("%d entries for app 1, want 167", len(got))
				}
				return
			}
			var details []string
			for _, e := range got {
				if tt.app != "" && e.AppID != tt.app {
					t.Errorf("entry of app %s listed", e.AppID)
				}
				details = append(details, e.Detail)
			}
			mustEqual(t, details, tt.want)
		})
	}
}

func TestAuditDefaultsTime(t *testing.T) {
	s, _ := openTest(t)
	if err := s.AppendAudit(AuditEntry{Action: "x"}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.ListAudit("", 1)
	if len(got) != 1 || !got[0].At.Equal(t0) {
		t.Fatalf("got %+v, want At = %v", got, t0)
	}
}

func TestPrune(t *testing.T) {
	s, _ := openTest(t)
	for i := range 6 {
		at := t0.Add(time.Duration(i) * time.Hour)
		if _, err := s.MarkNotice("n"+strconv.Itoa(i), at); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SeenEnvelope("e"+strconv.Itoa(i), at); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Prune(t0.Add(3 * time.Hour)) // drops hours 0, 1, 2 of both kinds
	if err != nil || n != 6 {
		t.Fatalf("Prune = %d, %v; want 6", n, err)
	}
	tests := []struct {
		name      string
		mark      func() (bool, error)
		wantFirst bool
	}{
		{"pruned notice is new again", func() (bool, error) { return s.MarkNotice("n2", t0) }, true},
		{"kept notice stays", func() (bool, error) { return s.MarkNotice("n3", t0) }, false},
		{"pruned envelope is new again", func() (bool, error) { return s.SeenEnvelope("e0", t0) }, true},
		{"kept envelope stays", func() (bool, error) { return s.SeenEnvelope("e5", t0) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, err := tt.mark()
			if err != nil || first != tt.wantFirst {
				t.Fatalf("first = %v, %v; want %v", first, err, tt.wantFirst)
			}
		})
	}
}

func TestDrafts(t *testing.T) {
	s, _ := openTest(t)
	if err := s.PutDraft(Draft{Key: "k", Notes: map[string]string{"ja": "x"}}); err != nil {
		t.Fatal(err)
	}
	d, found, err := s.GetDraft("k")
	if err != nil || !found || d.Notes["ja"] != "x" || d.Encryption != nil || !d.UpdatedAt.Equal(t0) {
		t.Fatalf("draft %+v found %v err %v", d, found, err)
	}
	if err := s.DeleteDraft("k"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.GetDraft("k"); found {
		t.Fatal("draft survived DeleteDraft")
	}
	if err := s.DeleteDraft("k"); err != nil {
		t.Fatalf("deleting a missing draft: %v", err)
	}
}

func TestWatches(t *testing.T) {
	s, clk := openTest(t)
	if err := s.PutWatch(Watch{AppID: "1", Channel: "C1", AddedBy: "U1"}); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(time.Hour))
	if err := s.DeleteWatch("1"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWatch("2"); err != nil { // a YAML-only app: the unwatch must still be recorded
		t.Fatal(err)
	}
	got, err := s.ListWatches()
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, []Watch{
		{AppID: "1", Channel: "C1", AddedBy: "U1", AddedAt: t0, Removed: true},
		{AppID: "2", AddedAt: t0.Add(time.Hour), Removed: true},
	})
	// Watching again clears the removal.
	if err := s.PutWatch(Watch{AppID: "1", Channel: "C9", AddedBy: "U2"}); err != nil {
		t.Fatal(err)
	}
	w, _, _ := s.GetWatch("1")
	mustEqual(t, w, Watch{AppID: "1", Channel: "C9", AddedBy: "U2", AddedAt: t0.Add(time.Hour)})
}

func TestMeta(t *testing.T) {
	s, _ := openTest(t)
	tests := []struct{ key, value string }{
		{"last_poll", "2026-03-04T10:42:00Z"},
		{"empty", ""},
		{"last_poll", "overwritten"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			if err := s.PutMeta(tt.key, tt.value); err != nil {
				t.Fatal(err)
			}
			v, found, err := s.GetMeta(tt.key)
			if err != nil || !found || v != tt.value {
				t.Fatalf("GetMeta = %q %v %v", v, found, err)
			}
		})
	}
}

// ---- crash durability ----

const helperEnv = "ASCBOT_STORE_CRASH_HELPER_DB"

// TestHelperWriter is not a test on its own: TestCrashDurability runs the
// test binary again with only this test selected and helperEnv set. It
// appends numbered audit entries and cards forever, printing each number
// once both transactions have returned.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process for TestCrashDurability")
	}
	s, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	deadline := time.Now().Add(time.Minute) // in case the parent never kills us
	for i := 1; time.Now().Before(deadline); i++ {
		n := strconv.Itoa(i)
		if err := s.AppendAudit(AuditEntry{Action: "crash", AppID: "app", Detail: n}); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(2)
		}
		if err := s.PutCard(Card{AppID: "app", VersionID: "v" + n, Version: n, AppName: strings.Repeat("x", i%700)}); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(2)
		}
		fmt.Println(n) // unbuffered: reaches the pipe before the next write starts
	}
	os.Exit(3)
}

func TestCrashDurability(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		t.Skip("inside the helper")
	}
	path := filepath.Join(t.TempDir(), "ascbot.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	numbers := make(chan int)
	go func() {
		defer close(numbers)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if n, err := strconv.Atoi(sc.Text()); err == nil {
				numbers <- n
			}
		}
	}()

	const want = 300
	var committed []int
	timeout := time.After(30 * time.Second)
	for len(committed) < want {
		select {
		case n, ok := <-numbers:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("helper exited after %d numbers; stderr:\n%s", len(committed), stderr.String())
			}
			committed = append(committed, n)
		case <-timeout:
			_ = cmd.Process.Kill()
			for range numbers {
			}
			_ = cmd.Wait()
			t.Fatalf("only %d numbers within 30s; stderr:\n%s", len(committed), stderr.String())
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for n := range numbers { // printed before the kill landed: committed too
		committed = append(committed, n)
	}
	_ = cmd.Wait() // "signal: killed"

	s, err := Open(path, WithTimeout(2*time.Second))
	if err != nil {
		t.Fatalf("reopening after SIGKILL: %v", err)
	}
	defer s.Close()
	err = s.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() { // drain: the checker goroutine must finish
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatal(err)
	}
	entries, err := s.ListAudit("app", 0)
	if err != nil {
		t.Fatal(err)
	}
	inAudit := map[string]bool{}
	for _, e := range entries {
		inAudit[e.Detail] = true
	}
	for _, n := range committed {
		ns := strconv.Itoa(n)
		if !inAudit[ns] {
			t.Fatalf("audit entry %d reported committed but missing after the crash", n)
		}
		if c, found, err := s.GetCard("app", "v"+ns); err != nil || !found || c.Version != ns {
			t.Fatalf("card %d reported committed but missing after the crash (%v)", n, err)
		}
	}
	t.Logf("%d committed numbers survived SIGKILL; %d audit entries on disk", len(committed), len(entries))
}

// ---- benchmarks ----

func BenchmarkAppendAudit(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "ascbot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	e := AuditEntry{User: "U0ANA", Action: "release", AppID: "1234567890", Version: "1.1.0", Result: "ok"}
	for b.Loop() {
		if err := s.AppendAudit(e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarkNotice(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "ascbot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.MarkNotice("1234567890/v-"+strconv.Itoa(i)+"/IN_REVIEW/2026-03-04T10:42:00Z", t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListAudit(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "ascbot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range 2000 {
		if err := s.AppendAudit(AuditEntry{Action: "x", AppID: strconv.Itoa(i % 10)}); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if got, err := s.ListAudit("3", 20); err != nil || len(got) != 20 {
			b.Fatal(len(got), err)
		}
	}
}

func TestRetakeAction(t *testing.T) {
	s, clk := openTest(t)
	begin := func(key string) Action {
		t.Helper()
		a, started, err := s.BeginAction(Action{Key: key, Kind: "release", User: "U1"})
		if err != nil || !started {
			t.Fatal(started, err)
		}
		return a
	}
	begin("failed")
	if err := s.FinishAction("failed", ActionFailed, "500"); err != nil {
		t.Fatal(err)
	}
	failed, _, _ := s.GetAction("failed")
	begin("done")
	if err := s.FinishAction("done", ActionDone, "ok"); err != nil {
		t.Fatal(err)
	}
	done, _, _ := s.GetAction("done")
	abandoned := begin("abandoned")
	stale := begin("stale")
	clk.Set(t0.Add(time.Hour))
	if _, err := s.RetakeAction(Action{Key: "stale", User: "U9"}, stale); err != nil { // someone retakes first
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		prev     Action
		wantTook bool
	}{
		{"failed is retaken", failed, true},
		{"abandoned start is retaken", abandoned, true},
		{"done is never repeated", done, false},
		{"already retaken by another", stale, false},
		{"retaken twice: second loses", failed, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := "U2" + strconv.Itoa(i)
			took, err := s.RetakeAction(Action{Key: tt.prev.Key, Kind: "release", User: user}, tt.prev)
			if err != nil || took != tt.wantTook {
				t.Fatalf("took %v err %v, want %v", took, err, tt.wantTook)
			}
			got, _, _ := s.GetAction(tt.prev.Key)
			if tt.wantTook {
				if got.User != user || got.State != ActionStarted || got.Result != "" || !got.FinishedAt.IsZero() || !got.StartedAt.Equal(t0.Add(time.Hour)) {
					t.Errorf("retaken record %+v", got)
				}
			} else if got.User == user {
				t.Errorf("record overwritten: %+v", got)
			}
		})
	}
	t.Run("concurrent: one winner", func(t *testing.T) {
		prev := begin("race")
		if err := s.FinishAction("race", ActionFailed, "x"); err != nil {
			t.Fatal(err)
		}
		prev, _, _ = s.GetAction("race")
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		start := make(chan struct{})
		for i := range 20 {
			wg.Go(func() {
				<-start
				took, err := s.RetakeAction(Action{Key: "race", User: "U" + strconv.Itoa(i)}, prev)
				if err != nil {
					t.Error(err)
				}
				if took {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d winners, want 1", wins)
		}
	})
	if _, err := s.RetakeAction(Action{Key: "a"}, Action{Key: "b"}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("mismatched keys: err = %v", err)
	}
}

// TestAuditMigratedFromSchema1: a schema-1 database keyed its audit log by
// time alone; opening it re-keys every entry by app, so one app's history
// is a range read, and keeps the order and the sequence.
func TestAuditMigratedFromSchema1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ascbot.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error { // the layout schema 1 wrote
		if err := tx.DeleteBucket(bucketAudit); err != nil {
			return err
		}
		b, err := tx.CreateBucket(bucketAudit)
		if err != nil {
			return err
		}
		for i := range 6 {
			seq, _ := b.NextSequence()
			e := AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), Action: "a", AppID: strconv.Itoa(1 + i%2), Detail: strconv.Itoa(i)}
			if err := putJSON(b, binary.BigEndian.AppendUint64(appendTime(nil, e.At), seq), e); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put([]byte(metaSchemaKey), []byte("1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(path)
	if err != nil {
		t.Fatalf("opening a schema-1 database: %v", err)
	}
	defer s.Close()
	if v, _, _ := s.GetMeta(metaSchemaKey); v != strconv.Itoa(SchemaVersion) {
		t.Errorf("schema %s after the migration, want %d", v, SchemaVersion)
	}
	if err := s.AppendAudit(AuditEntry{At: t0.Add(time.Hour), Action: "b", AppID: "2", Detail: "new"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListAudit("2", 0)
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, e := range got {
		details = append(details, e.Detail)
	}
	mustEqual(t, details, []string{"new", "5", "3", "1"})
	if all, _ := s.ListAudit("", 0); len(all) != 7 {
		t.Errorf("%d entries in all, want 7", len(all))
	}
}

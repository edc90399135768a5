// Package store keeps everything ascbot must remember across restarts in a
// single bbolt file: message cards, last-seen review states, dedupe marks for
// notices and Slack envelopes, modal drafts, idempotency records for actions,
// the audit log, watches and small meta values.
//
// Each record type lives in its own bucket as JSON. Every method runs in its
// own bbolt transaction, so all methods are safe for concurrent use, and the
// check-and-set methods (MarkNotice, SeenEnvelope, BeginAction, RetakeAction,
// UpdateCard) are atomic.
//
// Store methods take no context.Context: they touch only a local file and
// bbolt offers no cancellation, so a ctx could not be honoured. This is a
// deliberate exception to the house rule that I/O functions take ctx first.
//
// Keys: records of an app's version are keyed "appID/versionID"; app ids
// must therefore be non-empty and free of "/" (ErrInvalidKey otherwise).
//
// bbolt allows one process per file; Open fails with an error matching
// ErrInUse when another process holds the file.
package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the version of the on-disk layout this code writes. A
// database written by a newer ascbot (higher version) is refused; an older
// one is migrated when opened. 2: audit keys start with the app id.
const SchemaVersion = 2

// DefaultTimeout is how long Open waits for another process to release the file.
const DefaultTimeout = time.Second

// Bucket names.
var (
	bucketCards     = []byte("cards")
	bucketCardMsgs  = []byte("card_msgs") // index: channel/ts → cards key
	bucketSeen      = []byte("seen")
	bucketNotices   = []byte("notices")
	bucketDrafts    = []byte("drafts")
	bucketActions   = []byte("actions")
	bucketAudit     = []byte("audit")
	bucketWatches   = []byte("watches")
	bucketEnvelopes = []byte("envelopes")
	bucketMeta      = []byte("meta")
	bucketBetaCards = []byte("beta_cards") // TestFlight cards (beta.go)

	allBuckets = [][]byte{bucketCards, bucketCardMsgs, bucketSeen, bucketNotices, bucketDrafts,
		bucketActions, bucketAudit, bucketWatches, bucketEnvelopes, bucketMeta, bucketBetaCards}
)

// metaSchemaKey holds SchemaVersion in the meta bucket; PutMeta refuses it.
const metaSchemaKey = "schema_version"

// Sentinel errors, matched with errors.Is.
var (
	// ErrInUse: another process has the database open.
	ErrInUse = errors.New("database in use by another ascbot")
	// ErrSchemaTooNew: the database was written by a newer ascbot.
	ErrSchemaTooNew = errors.New("database schema newer than supported")
	// ErrNotFound: the record to update or finish does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalidKey: an empty key or an app id containing "/".
	ErrInvalidKey = errors.New("invalid key")
	// ErrActionFinished: FinishAction on an action that is no longer started.
	ErrActionFinished = errors.New("action already finished")
)

// InUseError reports that another process holds the database file.
type InUseError struct {
	Path string
	Err  error // bbolt's timeout error
}

// Error returns "database <path> in use by another ascbot".
func (e *InUseError) Error() string {
	return fmt.Sprintf("database %s in use by another ascbot", e.Path)
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// Unwrap returns bbolt's timeout error.
func (e *InUseError) Unwrap() error { return e.Err }

// SchemaError reports a database whose schema version this code cannot use.
type SchemaError struct {
	Path      string
	Found     string // as stored
	Supported int
}

// Error describes the mismatch and what to do.
func (e *SchemaError) Error() string {
	return fmt.Sprintf("database %s has schema version %s, newer than the %d this ascbot supports: upgrade ascbot or use another ASCBOT_DB",
		e.Path, e.Found, e.Supported)
}

// Is makes errors.Is(err, ErrSchemaTooNew) true.
func (e *SchemaError) Is(target error) bool { return target == ErrSchemaTooNew }

// Store is an open ascbot database.
type Store struct {
	db   *bolt.DB
	path string
	now  func() time.Time
}

type options struct {
	timeout time.Duration
	now     func() time.Time
}

// Option configures Open.
type Option func(*options)

// WithTimeout sets how long Open waits for the file lock (default 1 s).
// Non-positive values are ignored.
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithClock sets the clock used for default timestamps (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// Open opens (creating if needed) the database at path: the parent
// directory is created 0700 and the file 0600. It creates every bucket and
// writes or checks the schema version. If another process holds the file
// for longer than the timeout, the error matches ErrInUse.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{timeout: DefaultTimeout, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating database directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.timeout})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, &InUseError{Path: path, Err: err}
		}
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	s := &Store{db: db, path: path, now: o.now}
	if err := s.init(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// init creates the buckets and checks the schema version in one transaction.
func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("creating bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		cur := []byte(strconv.Itoa(SchemaVersion))
		v := meta.Get([]byte(metaSchemaKey))
		if v == nil {
			return meta.Put([]byte(metaSchemaKey), cur)
		}
		found, err := strconv.Atoi(string(v))
		if err != nil || found < 1 {
			return fmt.Errorf("reading schema version of %s: bad value %q", s.path, v)
		}
		if found > SchemaVersion {
			return &SchemaError{Path: s.path, Found: string(v), Supported: SchemaVersion}
		}
		if found < 2 {
			if err := migrateAuditV1(tx); err != nil {
				return fmt.Errorf("migrating the audit log of %s to schema 2: %w", s.path, err)
			}
		}
		if found < SchemaVersion {
			return meta.Put([]byte(metaSchemaKey), cur)
		}
		return nil
	})
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("closing database: %w", err)
	}
	return nil
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// ---- helpers ----

// versionKey returns "appID/versionID". versionID may be empty only where
// allowEmpty is true (app-level seen record).
func versionKey(appID, versionID string, allowEmpty bool) ([]byte, error) {
	if appID == "" || strings.Contains(appID, "/") {
		return nil, fmt.Errorf("app id %q: %w", appID, ErrInvalidKey)
	}
	if versionID == "" && !allowEmpty {
		return nil, fmt.Errorf("empty version id for app %s: %w", appID, ErrInvalidKey)
	}
	return []byte(appID + "/" + versionID), nil
}

func plainKey(what, key string) ([]byte, error) {
	if key == "" {
		return nil, fmt.Errorf("empty %s key: %w", what, ErrInvalidKey)
	}
	return []byte(key), nil
}

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("decoding %s: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", key, err)
	}
	return b.Put(key, data)
}

func appendTime(dst []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t.UnixNano()))
}

func readTime(b []byte) (time.Time, bool) {
	if len(b) != 8 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC(), true
}

// orNow returns t, or the store clock's now when t is zero.
func (s *Store) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return s.now()
	}
	return t
}

// ---- cards ----

// Card is the Slack message that tracks one app version: where it was
// posted and what ascbot did to the version.
type Card struct {
	AppID        string `json:"app_id"`
	AppName      string `json:"app_name,omitempty"`
	VersionID    string `json:"version_id"`
	Version      string `json:"version,omitempty"`
	Platform     string `json:"platform,omitempty"`
	Channel      string `json:"channel,omitempty"`
	TS           string `json:"ts,omitempty"` // message ts; also its thread ts
	BuildID      string `json:"build_id,omitempty"`
	BuildNumber  string `json:"build_number,omitempty"`
	SubmissionID string `json:"submission_id,omitempty"`
	// ReviewedBuildID is the build the bot last sent to App Review: after a
	// binary rejection it is the rejected build.
	ReviewedBuildID string `json:"reviewed_build_id,omitempty"`
	SubmittedBy     string `json:"submitted_by,omitempty"` // Slack user id
	ReleasedBy      string `json:"released_by,omitempty"`  // Slack user id
	LastState       string `json:"last_state,omitempty"`
	Sandbox         bool   `json:"sandbox,omitempty"`
	// Rev is the card's revision, bumped by the caller whenever the rendered
	// card changes; buttons carry it so that stale clicks can be told apart.
	// The store keeps it as given.
	Rev       int       `json:"rev,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Cards written before this version also hold "steps" (every thread
	// reply, never read, growing with each); decoding ignores them and the
	// next write drops them.
}

func msgKey(channel, ts string) []byte {
	if channel == "" || ts == "" {
		return nil
	}
	return []byte(channel + "/" + ts)
}

// putCard writes c (already keyed and timestamped) and keeps the
// channel/ts index in step with it. old is the previous record, if any.
func putCard(tx *bolt.Tx, key []byte, old *Card, c Card) error {
	idx := tx.Bucket(bucketCardMsgs)
	if old != nil {
		if ok := msgKey(old.Channel, old.TS); ok != nil && !bytes.Equal(ok, msgKey(c.Channel, c.TS)) &&
			bytes.Equal(idx.Get(ok), key) {
			if err := idx.Delete(ok); err != nil {
				return fmt.Errorf("deleting card index: %w", err)
			}
		}
	}
	if nk := msgKey(c.Channel, c.TS); nk != nil {
		if err := idx.Put(nk, key); err != nil {
			return fmt.Errorf("writing card index: %w", err)
		}
	}
	if err := putJSON(tx.Bucket(bucketCards), key, c); err != nil {
		return fmt.Errorf("writing card: %w", err)
	}
	return nil
}

// PutCard stores c under its AppID/VersionID, replacing any previous card.
// A zero CreatedAt keeps the stored one (or is set to now); a zero UpdatedAt
// is set to now.
func (s *Store) PutCard(c Card) error {
	key, err := versionKey(c.AppID, c.VersionID, false)
	if err != nil {
		return fmt.Errorf("putting card: %w", err)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		var old Card
		found, err := getJSON(tx.Bucket(bucketCards), key, &old)
		if err != nil {
			return err
		}
		if c.CreatedAt.IsZero() && found {
			c.CreatedAt = old.CreatedAt
		}
		c.CreatedAt = s.orNow(c.CreatedAt)
		c.UpdatedAt = s.orNow(c.UpdatedAt)
		var prev *Card
		if found {
			prev = &old
		}
		return putCard(tx, key, prev, c)
	})
}

// GetCard returns the card of an app version.
func (s *Store) GetCard(appID, versionID string) (Card, bool, error) {
	key, err := versionKey(appID, versionID, false)
	if err != nil {
		return Card{}, false, fmt.Errorf("getting card: %w", err)
	}
	var c Card
	var found bool
	err = s.db.View(func(tx *bolt.Tx) error {
		found, err = getJSON(tx.Bucket(bucketCards), key, &c)
		return err
	})
	return c, found, err
}

// CardByMessage returns the card posted as message ts in channel (a button
// click carries these), through an index kept by PutCard and UpdateCard.
func (s *Store) CardByMessage(channel, ts string) (Card, bool, error) {
	mk := msgKey(channel, ts)
	if mk == nil {
		return Card{}, false, nil
	}
	var c Card
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		key := tx.Bucket(bucketCardMsgs).Get(mk)
		if key == nil {
			return nil
		}
		var err error
		found, err = getJSON(tx.Bucket(bucketCards), key, &c)
		if found && (c.Channel != channel || c.TS != ts) {
			found = false // stale index entry
		}
		return err
	})
	return c, found, err
}

// ListCards returns every card, ordered by app id then version id.
func (s *Store) ListCards() ([]Card, error) {
	var out []Card
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCards).ForEach(func(k, v []byte) error {
			var c Card
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("decoding card %s: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// UpdateCard reads the card, applies fn and writes the result in one
// transaction; UpdatedAt is set to now. fn must not keep the pointer. An
// error from fn aborts the update and is returned wrapped. A missing card
// yields ErrNotFound. AppID and VersionID cannot be changed by fn.
func (s *Store) UpdateCard(appID, versionID string, fn func(*Card) error) (Card, error) {
	key, err := versionKey(appID, versionID, false)
	if err != nil {
		return Card{}, fmt.Errorf("updating card: %w", err)
	}
	var c Card
	err = s.db.Update(func(tx *bolt.Tx) error {
		found, err := getJSON(tx.Bucket(bucketCards), key, &c)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("updating card %s: %w", key, ErrNotFound)
		}
		old := c // for the channel/ts index
		if err := fn(&c); err != nil {
			return fmt.Errorf("updating card %s: %w", key, err)
		}
		c.AppID, c.VersionID = appID, versionID
		c.UpdatedAt = s.now()
		return putCard(tx, key, &old, c)
	})
	if err != nil {
		return Card{}, err
	}
	return c, nil
}

// ---- seen ----

// Seen is the last review state the watcher saw for an app version. A record
// with an empty VersionID is the app-level record (states of builds not yet
// attached to a version); ListSeen returns it with the others.
type Seen struct {
	AppID           string            `json:"app_id"`
	VersionID       string            `json:"version_id"`
	Version         string            `json:"version,omitempty"`
	State           string            `json:"state,omitempty"` // appVersionState
	SubmissionID    string            `json:"submission_id,omitempty"`
	SubmissionState string            `json:"submission_state,omitempty"`
	ItemStates      map[string]string `json:"item_states,omitempty"`  // submission item id → state
	BuildStates     map[string]string `json:"build_states,omitempty"` // build id → processing state
	PhasedState     string            `json:"phased_state,omitempty"`
	PhasedDay       int               `json:"phased_day,omitempty"`
	At              time.Time         `json:"at"`
}

// PutSeen stores s under AppID/VersionID; a zero At is set to now.
func (s *Store) PutSeen(v Seen) error {
	key, err := versionKey(v.AppID, v.VersionID, true)
	if err != nil {
		return fmt.Errorf("putting seen: %w", err)
	}
	v.At = s.orNow(v.At)
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketSeen), key, v)
	})
}

// GetSeen returns the seen record of an app version ("" for the app level).
func (s *Store) GetSeen(appID, versionID string) (Seen, bool, error) {
	key, err := versionKey(appID, versionID, true)
	if err != nil {
		return Seen{}, false, fmt.Errorf("getting seen: %w", err)
	}
	var v Seen
	var found bool
	err = s.db.View(func(tx *bolt.Tx) error {
		found, err = getJSON(tx.Bucket(bucketSeen), key, &v)
		return err
	})
	return v, found, err
}

// ListSeen returns every seen record of an app, ordered by version id (the
// app-level record first).
func (s *Store) ListSeen(appID string) ([]Seen, error) {
	prefix, err := versionKey(appID, "", true)
	if err != nil {
		return nil, fmt.Errorf("listing seen: %w", err)
	}
	var out []Seen
	err = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSeen).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r Seen
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decoding seen %s: %w", k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// ---- notices and envelopes (dedupe marks) ----

// markOnce sets key in bucket to at unless it exists, in one transaction.
func (s *Store) markOnce(bucket []byte, what, key string, at time.Time) (bool, error) {
	k, err := plainKey(what, key)
	if err != nil {
		return false, err
	}
	at = s.orNow(at)
	first := false
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b.Get(k) != nil {
			return nil
		}
		first = true
		return b.Put(k, appendTime(nil, at))
	})
	if err != nil {
		return false, fmt.Errorf("marking %s %s: %w", what, key, err)
	}
	return first, nil
}

// MarkNotice records that the notice identified by key (e.g.
// "app/version/state/transition-time") is being posted. It returns true only
// to the first caller for that key, atomically, so the poller and a webhook
// racing on the same transition post once. A zero at is set to now.
func (s *Store) MarkNotice(key string, at time.Time) (first bool, err error) {
	return s.markOnce(bucketNotices, "notice", key, at)
}

// SeenEnvelope records a Slack envelope id and reports whether this is its
// first delivery (false for a redelivery). A zero at is set to now.
func (s *Store) SeenEnvelope(id string, at time.Time) (first bool, err error) {
	return s.markOnce(bucketEnvelopes, "envelope", id, at)
}

// Prune removes envelope and notice marks recorded before olderThan and
// returns how many it removed.
func (s *Store) Prune(olderThan time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketEnvelopes, bucketNotices} {
			b := tx.Bucket(name)
			var old [][]byte
			err := b.ForEach(func(k, v []byte) error {
				if at, ok := readTime(v); !ok || at.Before(olderThan) {
					old = append(old, bytes.Clone(k))
				}
				return nil
			})
			if err != nil {
				return err
			}
			// Deleting while iterating skips keys in bbolt; delete afterwards.
			for _, k := range old {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			n += len(old)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("pruning marks: %w", err)
	}
	return n, nil
}

// ---- drafts ----

// Draft is unsaved modal input (e.g. What's New per locale) kept so that a
// closed modal or a restart loses nothing. Key is chosen by the caller,
// e.g. "user/appID/versionID".
type Draft struct {
	Key        string            `json:"key"`
	Notes      map[string]string `json:"notes,omitempty"` // locale → text
	Encryption *bool             `json:"encryption,omitempty"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

// PutDraft stores d under d.Key; a zero UpdatedAt is set to now.
func (s *Store) PutDraft(d Draft) error {
	k, err := plainKey("draft", d.Key)
	if err != nil {
		return fmt.Errorf("putting draft: %w", err)
	}
	d.UpdatedAt = s.orNow(d.UpdatedAt)
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketDrafts), k, d)
	})
}

// GetDraft returns the draft stored under key.
func (s *Store) GetDraft(key string) (Draft, bool, error) {
	k, err := plainKey("draft", key)
	if err != nil {
		return Draft{}, false, fmt.Errorf("getting draft: %w", err)
	}
	var d Draft
	var found bool
	err = s.db.View(func(tx *bolt.Tx) error {
		found, err = getJSON(tx.Bucket(bucketDrafts), k, &d)
		return err
	})
	return d, found, err
}

// DeleteDraft removes the draft stored under key; a missing draft is not an error.
func (s *Store) DeleteDraft(key string) error {
	k, err := plainKey("draft", key)
	if err != nil {
		return fmt.Errorf("deleting draft: %w", err)
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketDrafts).Delete(k) })
}

// ---- actions (idempotency) ----

// ActionState is the progress of an action.
type ActionState string

// Action states.
const (
	ActionStarted ActionState = "started" // intent written, outcome unknown
	ActionDone    ActionState = "done"
	ActionFailed  ActionState = "failed"
)

// Action is the idempotency record of a side effect on App Store Connect
// (submit, release, cancel, …), written before the API call and finished
// after it, so that a retry or a crash in between never acts twice.
type Action struct {
	Key        string      `json:"key"`
	Kind       string      `json:"kind"` // e.g. "submit", "release"
	User       string      `json:"user,omitempty"`
	AppID      string      `json:"app_id,omitempty"`
	VersionID  string      `json:"version_id,omitempty"`
	Intent     string      `json:"intent,omitempty"` // what is about to be done, human readable or JSON
	State      ActionState `json:"state"`
	Result     string      `json:"result,omitempty"`
	StartedAt  time.Time   `json:"started_at"`
	FinishedAt time.Time   `json:"finished_at,omitzero"`
}

// BeginAction records the intent a, in one transaction: if an action with
// a.Key exists it is returned with started=false and nothing is written;
// otherwise a is written with State ActionStarted (StartedAt defaulting to
// now, FinishedAt and Result cleared) and returned with started=true. Only
// the caller that gets started=true may perform the action.
func (s *Store) BeginAction(a Action) (existing Action, started bool, err error) {
	k, err := plainKey("action", a.Key)
	if err != nil {
		return Action{}, false, fmt.Errorf("beginning action: %w", err)
	}
	a.State, a.Result, a.FinishedAt = ActionStarted, "", time.Time{}
	a.StartedAt = s.orNow(a.StartedAt)
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketActions)
		found, err := getJSON(b, k, &existing)
		if err != nil || found {
			return err
		}
		existing, started = a, true
		return putJSON(b, k, a)
	})
	if err != nil {
		return Action{}, false, fmt.Errorf("beginning action %s: %w", a.Key, err)
	}
	return existing, started, nil
}

// RetakeAction starts a new attempt a over a failed or abandoned (started
// long ago, its process gone) action, atomically: it writes a (as
// BeginAction does) only if the stored record still matches prev, the
// record the caller decided to take over (same State, StartedAt, FinishedAt
// and User), and is not done. It returns took=false when someone else
// retook or finished it first, or when it is done: a done action is never
// repeated. a.Key and prev.Key must be equal.
func (s *Store) RetakeAction(a, prev Action) (took bool, err error) {
	k, err := plainKey("action", a.Key)
	if err != nil {
		return false, fmt.Errorf("retaking action: %w", err)
	}
	if prev.Key != a.Key {
		return false, fmt.Errorf("retaking action %s with a record of %s: %w", a.Key, prev.Key, ErrInvalidKey)
	}
	a.State, a.Result, a.FinishedAt = ActionStarted, "", time.Time{}
	a.StartedAt = s.orNow(a.StartedAt)
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketActions)
		var cur Action
		found, err := getJSON(b, k, &cur)
		if err != nil {
			return err
		}
		if found && (cur.State == ActionDone || cur.State != prev.State || !cur.StartedAt.Equal(prev.StartedAt) ||
			!cur.FinishedAt.Equal(prev.FinishedAt) || cur.User != prev.User) {
			return nil
		}
		took = true
		return putJSON(b, k, a)
	})
	if err != nil {
		return false, fmt.Errorf("retaking action %s: %w", a.Key, err)
	}
	return took, nil
}

// FinishAction records the outcome (ActionDone or ActionFailed) of a started
// action and sets FinishedAt to now. It returns ErrNotFound for an unknown
// key and ErrActionFinished if the action was already finished.
func (s *Store) FinishAction(key string, state ActionState, result string) error {
	k, err := plainKey("action", key)
	if err != nil {
		return fmt.Errorf("finishing action: %w", err)
	}
	if state != ActionDone && state != ActionFailed {
		return fmt.Errorf("finishing action %s: state %q is not done or failed", key, state)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketActions)
		var a Action
		found, err := getJSON(b, k, &a)
		switch {
		case err != nil:
			return err
		case !found:
			return ErrNotFound
		case a.State != ActionStarted:
			return fmt.Errorf("%w (%s)", ErrActionFinished, a.State)
		}
		a.State, a.Result, a.FinishedAt = state, result, s.now()
		return putJSON(b, k, a)
	})
	if err != nil {
		return fmt.Errorf("finishing action %s: %w", key, err)
	}
	return nil
}

// GetAction returns the action stored under key.
func (s *Store) GetAction(key string) (Action, bool, error) {
	k, err := plainKey("action", key)
	if err != nil {
		return Action{}, false, fmt.Errorf("getting action: %w", err)
	}
	var a Action
	var found bool
	err = s.db.View(func(tx *bolt.Tx) error {
		found, err = getJSON(tx.Bucket(bucketActions), k, &a)
		return err
	})
	return a, found, err
}

// ---- audit ----

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	At      time.Time `json:"at"`
	User    string    `json:"user,omitempty"`
	Action  string    `json:"action"`
	AppID   string    `json:"app_id,omitempty"`
	Version string    `json:"version,omitempty"`
	Result  string    `json:"result,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	// Key is the App Store Connect API key the action used (its config
	// name), recorded when the bot has several keys.
	Key string `json:"key,omitempty"`
}

// auditKey is the app id, "/", then the 8-byte big-endian unix nanoseconds
// of at and an 8-byte sequence: one app's entries are one key range, in
// time order and, within one nanosecond, in append order. App ids never
// contain "/" (config and App Store Connect ids). Entries of no app have
// the empty prefix "/".
func auditKey(appID string, at time.Time, seq uint64) []byte {
	k := append([]byte(appID), '/')
	return binary.BigEndian.AppendUint64(appendTime(k, at), seq)
}

// auditOrder is the time-and-sequence tail of an audit key.
func auditOrder(k []byte) []byte { return k[len(k)-16:] }

// AppendAudit appends e (a zero At is set to now). Times before 1970 are not
// supported. The audit log is never pruned: it is the record of who did
// what (see the README's Operations on its size).
func (s *Store) AppendAudit(e AuditEntry) error {
	e.At = s.orNow(e.At)
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return putJSON(b, auditKey(e.AppID, e.At, seq), e)
	})
	if err != nil {
		return fmt.Errorf("appending audit entry: %w", err)
	}
	return nil
}

// ListAudit returns up to limit entries (limit <= 0: all), newest first, of
// one app (a range read of its keys), or of all apps when appID is "".
func (s *Store) ListAudit(appID string, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		if appID == "" {
			return listAllAudit(c, limit, &out)
		}
		prefix := []byte(appID + "/")
		end := []byte(appID + "0") // '0' follows '/': the first key past the range
		var k, v []byte
		if k, _ = c.Seek(end); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Prev() {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decoding audit entry %x: %w", k, err)
			}
			out = append(out, e)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing audit: %w", err)
	}
	return out, nil
}

// listAllAudit merges every app's entries, newest first.
func listAllAudit(c *bolt.Cursor, limit int, out *[]AuditEntry) error {
	type entry struct {
		order []byte
		e     AuditEntry
	}
	var all []entry
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var e AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("decoding audit entry %x: %w", k, err)
		}
		all = append(all, entry{order: bytes.Clone(auditOrder(k)), e: e})
	}
	slices.SortFunc(all, func(a, b entry) int { return bytes.Compare(b.order, a.order) })
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	for _, x := range all {
		*out = append(*out, x.e)
	}
	return nil
}

// migrateAuditV1 re-keys the audit log of a schema-1 database, whose keys
// were time and sequence alone (listing one app scanned every entry).
func migrateAuditV1(tx *bolt.Tx) error {
	b := tx.Bucket(bucketAudit)
	type kv struct{ k, v []byte }
	var moved []kv
	err := b.ForEach(func(k, v []byte) error {
		if len(k) != 16 {
			return fmt.Errorf("audit key %x is not a schema-1 key", k)
		}
		var e AuditEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("decoding audit entry %x: %w", k, err)
		}
		nk := append(append([]byte(e.AppID), '/'), k...)
		moved = append(moved, kv{nk, bytes.Clone(v)})
		return nil
	})
	if err != nil {
		return err
	}
	seq := b.Sequence()
	if err := tx.DeleteBucket(bucketAudit); err != nil {
		return err
	}
	nb, err := tx.CreateBucket(bucketAudit)
	if err != nil {
		return err
	}
	if err := nb.SetSequence(seq); err != nil {
		return err
	}
	for _, x := range moved {
		if err := nb.Put(x.k, x.v); err != nil {
			return err
		}
	}
	return nil
}

// ---- watches ----

// Watch is a watch set from Slack (/asc watch). A Removed watch records an
// unwatch, which overrides the app's channel from the YAML file.
type Watch struct {
	AppID   string    `json:"app_id"`
	Channel string    `json:"channel,omitempty"`
	AddedBy string    `json:"added_by,omitempty"`
	AddedAt time.Time `json:"added_at"`
	Removed bool      `json:"removed,omitempty"`
}

func watchKey(appID string) ([]byte, error) {
	if appID == "" || strings.Contains(appID, "/") {
		return nil, fmt.Errorf("app id %q: %w", appID, ErrInvalidKey)
	}
	return []byte(appID), nil
}

// PutWatch stores w under w.AppID, replacing any previous watch (including a
// removed one); a zero AddedAt is set to now.
func (s *Store) PutWatch(w Watch) error {
	k, err := watchKey(w.AppID)
	if err != nil {
		return fmt.Errorf("putting watch: %w", err)
	}
	w.AddedAt = s.orNow(w.AddedAt)
	return s.db.Update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bucketWatches), k, w) })
}

// DeleteWatch marks the app's watch removed (creating the record if there
// was none, so that it overrides the YAML file). The channel and who added
// it are kept.
func (s *Store) DeleteWatch(appID string) error {
	k, err := watchKey(appID)
	if err != nil {
		return fmt.Errorf("deleting watch: %w", err)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketWatches)
		var w Watch
		found, err := getJSON(b, k, &w)
		if err != nil {
			return err
		}
		if !found {
			w = Watch{AppID: appID, AddedAt: s.now()}
		}
		w.Removed = true
		return putJSON(b, k, w)
	})
}

// GetWatch returns the watch of an app, removed or not.
func (s *Store) GetWatch(appID string) (Watch, bool, error) {
	k, err := watchKey(appID)
	if err != nil {
		return Watch{}, false, fmt.Errorf("getting watch: %w", err)
	}
	var w Watch
	var found bool
	err = s.db.View(func(tx *bolt.Tx) error {
		found, err = getJSON(tx.Bucket(bucketWatches), k, &w)
		return err
	})
	return w, found, err
}

// ListWatches returns every watch, removed ones included, ordered by app id.
func (s *Store) ListWatches() ([]Watch, error) {
	var out []Watch
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketWatches).ForEach(func(k, v []byte) error {
			var w Watch
			if err := json.Unmarshal(v, &w); err != nil {
				return fmt.Errorf("decoding watch %s: %w", k, err)
			}
			out = append(out, w)
			return nil
		})
	})
	return out, err
}

// ---- meta ----

// GetMeta returns a small value stored with PutMeta.
func (s *Store) GetMeta(key string) (string, bool, error) {
	k, err := plainKey("meta", key)
	if err != nil {
		return "", false, fmt.Errorf("getting meta: %w", err)
	}
	var v []byte
	err = s.db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucketMeta).Get(k))
		return nil
	})
	return string(v), v != nil, err
}

// DeleteMeta removes a value stored with PutMeta (absent is not an error).
func (s *Store) DeleteMeta(key string) error {
	k, err := plainKey("meta", key)
	if err != nil {
		return fmt.Errorf("deleting meta: %w", err)
	}
	if key == metaSchemaKey {
		return fmt.Errorf("deleting meta: %s is reserved: %w", key, ErrInvalidKey)
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(k) })
}

// PutMeta stores a small value (e.g. the last good poll time). The schema
// version key is reserved.
func (s *Store) PutMeta(key, value string) error {
	k, err := plainKey("meta", key)
	if err != nil {
		return fmt.Errorf("putting meta: %w", err)
	}
	if key == metaSchemaKey {
		return fmt.Errorf("putting meta: %s is reserved: %w", key, ErrInvalidKey)
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(k, []byte(value)) })
}

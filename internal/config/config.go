// Package config reads ascbot's configuration from the environment and an
// optional YAML file, applies defaults and validates everything in one step
// (Load), in the manner of alertmanager's config package.
//
// The environment variable names and YAML keys are a public contract:
//
//	SLACK_APP_TOKEN       app-level token (xapp-…), for socket mode
//	SLACK_BOT_TOKEN       bot token (xoxb-…), for the Web API
//	SLACK_API_URL         Web API base, default https://slack.com/api/ (a trailing "/" is added)
//	ASC_KEY_ID            App Store Connect API key id
//	ASC_ISSUER_ID         App Store Connect issuer id (a UUID)
//	ASC_PRIVATE_KEY_PATH  path of the .p8 key file, or
//	ASC_PRIVATE_KEY       its PEM text (literal "\n" sequences are read as newlines)
//	ASC_API_URL           default https://api.appstoreconnect.apple.com (a trailing "/" is removed)
//	ASCBOT_CONFIG         YAML path; default ./ascbot.yaml when it exists, else no file
//	ASCBOT_DB             bbolt file, default ./ascbot.db (./ascbot-sandbox.db in sandbox mode)
//	ASCBOT_HTTP_ADDR      listen address for webhooks and metrics, off unless set
//	ASCBOT_SANDBOX        1/true: sandbox mode (real Slack, simulated Apple)
//	ASCBOT_LOG_LEVEL      debug|info|warn|error, default info
//	ASCBOT_SANDBOX_STAGE  duration of each review stage in sandbox, default 1m
//
// The YAML's keys: list adds App Store Connect API keys beside the one the
// ASC_* variables configure (named "default"); each app names its key with
// key: (default "default"). A key's private key comes from its
// private_key_path file or its private_key_env variable, never from the
// YAML. With keys: given and no ASC_* variable set there is no default key
// and every app must name one.
//
// Which credentials are required depends on the Mode: ModeNormal needs the
// Slack tokens and all App Store Connect credentials; ModeSandbox needs only
// the Slack tokens (App Store Connect variables are ignored); ModeDemo needs
// nothing and ignores both the Slack and App Store Connect variables.
//
// Every validation failure is an *Error whose text names the field and the
// problem, e.g. "config: SLACK_BOT_TOKEN: must start with xoxb-". Load reports
// every problem with the environment (and the file) in one run: several are
// an Errors, one line each. Secret values never appear in errors, and Secret
// fields print as "[redacted]".
//
// Load and LoadFile read local files once at startup and take no
// context.Context: a deliberate exception to the ctx-first rule, as nothing
// there can block or be cancelled usefully.
package config

import (
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Mode says which outside services ascbot talks to.
type Mode int

// Modes.
const (
	// ModeNormal talks to real Slack and real App Store Connect.
	ModeNormal Mode = iota
	// ModeSandbox talks to real Slack and a simulated App Store Connect.
	ModeSandbox
	// ModeDemo simulates both Slack and App Store Connect.
	ModeDemo
)

// String returns "normal", "sandbox" or "demo".
func (m Mode) String() string {
	switch m {
	case ModeNormal:
		return "normal"
	case ModeSandbox:
		return "sandbox"
	case ModeDemo:
		return "demo"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Defaults.
const (
	DefaultSlackAPIURL  = "https://slack.com/api/"
	DefaultASCAPIURL    = "https://api.appstoreconnect.apple.com"
	DefaultConfigFile   = "ascbot.yaml"
	DefaultDBPath       = "ascbot.db"
	DefaultSandboxDB    = "ascbot-sandbox.db"
	DefaultLogLevel     = "info"
	DefaultSandboxStage = time.Minute
	DefaultPoll         = "@every 2m"
	DefaultPlatform     = "IOS"
)

// Config is the whole validated configuration.
type Config struct {
	Slack struct {
		AppToken Secret // xapp-…
		BotToken Secret // xoxb-…
		APIURL   string // ends with "/"
	}
	ASC struct {
		KeyID          string
		IssuerID       string
		PrivateKey     Secret // PEM text, whether read from ASC_PRIVATE_KEY or ASC_PRIVATE_KEY_PATH
		PrivateKeyPath string // "" when the key came from ASC_PRIVATE_KEY
		APIURL         string // no trailing "/"
	}
	ConfigPath   string // YAML file read, "" when none
	DBPath       string
	HTTPAddr     string // "" = no HTTP listener
	LogLevel     string // debug|info|warn|error
	Mode         Mode
	SandboxStage time.Duration
	Poll         string   // robfig/cron spec of the review-state poller
	Approvers    []string // default approvers for apps that name none
	Apps         []App
	// Location is the team's time zone (YAML timezone, an IANA name; default
	// UTC): scheduled release dates are chosen and shown in it, stored as UTC.
	Location *time.Location
	// Keys are every App Store Connect API key: the one the ASC_*
	// variables configure (named DefaultKey) first, when they do, then the
	// YAML's keys. In sandbox and demo modes they carry no key material.
	Keys []Key
	// Warnings are problems that do not stop the bot (a key no app uses),
	// logged at start.
	Warnings []string
}

// Zone is the team's time zone, UTC when none is configured.
func (c *Config) Zone() *time.Location {
	if c == nil || c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// App is one App Store Connect app the bot manages.
type App struct {
	ID       string `yaml:"id"`        // App Store Connect app id
	BundleID string `yaml:"bundle_id"` // alternative to ID
	// Key names the API key (keys[].name) whose team owns the app; ""
	// means DefaultKey. See KeyName.
	Key     string `yaml:"key"`
	Channel string `yaml:"channel"` // Slack channel for review-state changes
	// Approvers are Slack users (U…/W…) and user groups (S…) who may release.
	// Empty means the top-level approvers (see EffectiveApprovers).
	Approvers []string `yaml:"approvers"`
	// Submitters may submit for review; empty means anyone.
	Submitters []string `yaml:"submitters"`
	// Testers may add and remove TestFlight testers and send builds to
	// external beta groups (and submit them for beta review); empty means the
	// app's Submitters. Internal groups follow Submitters.
	Testers []string `yaml:"testers"`
	// Watchers may change where the app's announcements go (/asc watch,
	// /asc unwatch); empty means its approvers.
	Watchers []string `yaml:"watchers"`
	// UsesNonExemptEncryption is the export-compliance answer used when a
	// build has none; nil means ask.
	UsesNonExemptEncryption *bool  `yaml:"uses_non_exempt_encryption"`
	WebhookSecret           Secret `yaml:"webhook_secret"`
	// TwoPersonRule forbids the submitter of a version from releasing it.
	TwoPersonRule bool   `yaml:"two_person_rule"`
	Platform      string `yaml:"platform"` // IOS|MAC_OS|TV_OS|VISION_OS
}

// File is the YAML file's content, decoded, defaulted and validated.
type File struct {
	Poll string `yaml:"poll"`
	// TimeZone is the team's IANA time zone ("Asia/Tokyo"), default "UTC".
	TimeZone  string         `yaml:"timezone"`
	Location  *time.Location `yaml:"-"`
	Approvers []string       `yaml:"approvers"`
	Keys      []Key          `yaml:"keys"`
	Apps      []App          `yaml:"apps"`

	pollGiven bool // poll was set in the file, not defaulted
}

// Error is a configuration error: one field, one problem.
type Error struct {
	Field   string // e.g. "SLACK_BOT_TOKEN", "apps[0].channel", "ascbot.yaml line 7"
	Problem string // e.g. "missing", "must start with xoxb-"
	Err     error  // underlying cause, if any; never carries a secret value
}

// Error returns "config: <field>: <problem>[: <cause>]".
func (e *Error) Error() string {
	s := "config: " + e.Field + ": " + e.Problem
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem Load found, in the order of the README's table;
// it has at least two.
type Errors []*Error

// Error returns one line per problem.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// problems collects configuration errors.
type problems []*Error

func (p *problems) add(err error) {
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Field: "config", Problem: "invalid", Err: err}
	}
	*p = append(*p, e)
}

// err returns nil, the one problem, or Errors.
func (p problems) err() error {
	switch len(p) {
	case 0:
		return nil
	case 1:
		return p[0]
	}
	return Errors(p)
}

func fieldErr(field, problem string) error { return &Error{Field: field, Problem: problem} }

// App returns the configured app whose ID or bundle id (case-insensitively)
// is idOrBundle.
func (c *Config) App(idOrBundle string) (App, bool) {
	for _, a := range c.Apps {
		if (a.ID != "" && a.ID == idOrBundle) || (a.BundleID != "" && strings.EqualFold(a.BundleID, idOrBundle)) {
			return a, true
		}
	}
	return App{}, false
}

// EffectiveApprovers returns the app's approvers, or a copy of defaults when
// the app names none. An empty result means nobody is configured; callers
// should then allow nobody to release.
func (a App) EffectiveApprovers(defaults []string) []string {
	if len(a.Approvers) > 0 {
		return append([]string(nil), a.Approvers...)
	}
	return append([]string(nil), defaults...)
}

// Load reads the environment (through getenv) and the YAML file, applies
// defaults and validates, all in one step. mode is the mode asked for on the
// command line; ASCBOT_SANDBOX=1 turns ModeNormal into ModeSandbox. A nil
// getenv means os.Getenv. Every problem found is reported: one *Error, or
// Errors when there are several.
func Load(getenv func(string) string, mode Mode) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	env := func(k string) string { return strings.TrimSpace(getenv(k)) }
	c := &Config{Mode: mode}

	if v := env("ASCBOT_SANDBOX"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fieldErr("ASCBOT_SANDBOX", "must be 1, true, 0 or false")
		}
		if on && c.Mode == ModeNormal {
			c.Mode = ModeSandbox
		}
	}
	switch c.Mode {
	case ModeNormal, ModeSandbox, ModeDemo:
	default:
		return nil, fieldErr("mode", "unknown mode "+c.Mode.String())
	}

	var errs problems
	loadSlack(c, env, &errs)
	loadASC(c, env, &errs)
	loadBot(c, env, &errs)

	path, explicit := env("ASCBOT_CONFIG"), true
	if path == "" {
		path, explicit = DefaultConfigFile, false
	}
	var f *File
	fileOK := true
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if f, err = parse(path, data); err != nil {
			errs.add(err)
			fileOK = false
			break
		}
		c.ConfigPath = path
		c.Poll, c.Approvers, c.Apps, c.Location, c.Keys = f.Poll, f.Approvers, f.Apps, f.Location, f.Keys
	case !explicit && errors.Is(err, fs.ErrNotExist):
		f, _ = parse(path, nil) // defaults only
		c.Poll, c.Location = f.Poll, f.Location
	default:
		errs.add(&Error{Field: "ASCBOT_CONFIG", Problem: "reading " + path, Err: pathCause(err)})
		fileOK = false
	}
	if fileOK {
		noDefault := c.Mode == ModeNormal && noASCVars(env)
		if noDefault && len(c.Keys) > 0 {
			// keys: and no ASC_* at all: no default key, not a mistake.
			errs = slices.DeleteFunc(errs, func(e *Error) bool {
				return e.Field == "ASC_KEY_ID" || e.Field == "ASC_ISSUER_ID" || e.Field == "ASC_PRIVATE_KEY_PATH"
			})
		}
		loadKeys(c, getenv, noDefault, &errs)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	if c.Mode == ModeSandbox && !f.pollGiven {
		c.Poll = SandboxPoll(c.SandboxStage)
	}
	return c, nil
}

// SandboxPoll is the sandbox's poll schedule when the file sets none: twice
// a review stage, so no stage passes unseen (at most once a second, cron's
// finest step).
func SandboxPoll(stage time.Duration) string {
	return "@every " + max(time.Second, (stage/2).Truncate(time.Second)).String()
}

// NoApprovers lists the apps whose Release nobody may press (no approvers
// of their own and none by default), by id or bundle id; with no apps at all
// and no default approvers it is ["*"]. Start-up warns about them.
func (c *Config) NoApprovers() []string {
	if len(c.Approvers) > 0 {
		return nil
	}
	if len(c.Apps) == 0 {
		return []string{"*"}
	}
	var out []string
	for _, a := range c.Apps {
		if len(a.Approvers) == 0 {
			out = append(out, cmp.Or(a.ID, a.BundleID))
		}
	}
	return out
}

func loadSlack(c *Config, env func(string) string, errs *problems) {
	c.Slack.APIURL = DefaultSlackAPIURL
	if v := env("SLACK_API_URL"); v != "" {
		if err := checkURL(v); err != nil {
			errs.add(fieldErr("SLACK_API_URL", err.Error()))
		} else {
			if !strings.HasSuffix(v, "/") {
				v += "/"
			}
			c.Slack.APIURL = v
		}
	}
	if c.Mode == ModeDemo {
		return
	}
	for _, t := range []struct {
		name, prefix string
		dst          *Secret
	}{
		{"SLACK_APP_TOKEN", "xapp-", &c.Slack.AppToken},
		{"SLACK_BOT_TOKEN", "xoxb-", &c.Slack.BotToken},
	} {
		v := env(t.name)
		switch {
		case v == "":
			errs.add(fieldErr(t.name, "missing"))
		case !strings.HasPrefix(v, t.prefix) || len(v) == len(t.prefix):
			errs.add(fieldErr(t.name, "must start with "+t.prefix))
		case strings.ContainsAny(v, " \t\r\n"):
			errs.add(fieldErr(t.name, "must not contain whitespace"))
		default:
			*t.dst = Secret(v)
		}
	}
}

var (
	keyIDRe    = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	issuerIDRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func loadASC(c *Config, env func(string) string, errs *problems) {
	c.ASC.APIURL = DefaultASCAPIURL
	if c.Mode != ModeNormal {
		return // sandbox and demo use the simulator
	}
	if v := env("ASC_API_URL"); v != "" {
		if err := checkURL(v); err != nil {
			errs.add(fieldErr("ASC_API_URL", err.Error()))
		} else {
			c.ASC.APIURL = strings.TrimRight(v, "/")
		}
	}
	c.ASC.KeyID = env("ASC_KEY_ID")
	switch {
	case c.ASC.KeyID == "":
		errs.add(fieldErr("ASC_KEY_ID", "missing"))
	case !keyIDRe.MatchString(c.ASC.KeyID):
		errs.add(fieldErr("ASC_KEY_ID", "must be letters and digits, like 2X9R4HXF34"))
	}
	c.ASC.IssuerID = env("ASC_ISSUER_ID")
	switch {
	case c.ASC.IssuerID == "":
		errs.add(fieldErr("ASC_ISSUER_ID", "missing"))
	case !issuerIDRe.MatchString(c.ASC.IssuerID):
		errs.add(fieldErr("ASC_ISSUER_ID", "must be a UUID like 57246542-96fe-1a63-e053-0824d011072a"))
	}

	path, text := env("ASC_PRIVATE_KEY_PATH"), env("ASC_PRIVATE_KEY")
	switch {
	case path != "" && text != "":
		errs.add(fieldErr("ASC_PRIVATE_KEY", "set only one of ASC_PRIVATE_KEY_PATH and ASC_PRIVATE_KEY"))
	case path != "":
		key, err := readKeyFile("ASC_PRIVATE_KEY_PATH", path)
		if err != nil {
			errs.add(err)
			return
		}
		c.ASC.PrivateKeyPath = path
		c.ASC.PrivateKey = key
	case text != "":
		key, err := readKeyText("ASC_PRIVATE_KEY", text)
		if err != nil {
			errs.add(err)
			return
		}
		c.ASC.PrivateKey = key
	default:
		errs.add(fieldErr("ASC_PRIVATE_KEY_PATH", "missing (or set ASC_PRIVATE_KEY)"))
	}
}

// validP256Key reports whether data holds a PKCS#8 "PRIVATE KEY" PEM block
// with an ECDSA P-256 key. It returns no error text: parser messages are
// kept out of errors so that nothing about the key leaks.
func validP256Key(data []byte) bool {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return false
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return false
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	return ok && ec.Curve == elliptic.P256()
}

var logLevels = map[string]bool{"debug": true, "info": true, "warn": true, "error": true}

func loadBot(c *Config, env func(string) string, errs *problems) {
	c.DBPath = DefaultDBPath
	if c.Mode == ModeSandbox {
		c.DBPath = DefaultSandboxDB
	}
	if v := env("ASCBOT_DB"); v != "" {
		c.DBPath = v
	}
	if v := env("ASCBOT_HTTP_ADDR"); v != "" {
		if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
			errs.add(fieldErr("ASCBOT_HTTP_ADDR", fmt.Sprintf("%q must be host:port or :port", v)))
		} else {
			c.HTTPAddr = v
		}
	}
	c.LogLevel = DefaultLogLevel
	if v := strings.ToLower(env("ASCBOT_LOG_LEVEL")); v != "" {
		if !logLevels[v] {
			errs.add(fieldErr("ASCBOT_LOG_LEVEL", fmt.Sprintf("%q must be debug, info, warn or error", v)))
		} else {
			c.LogLevel = v
		}
	}
	c.SandboxStage = DefaultSandboxStage
	if v := env("ASCBOT_SANDBOX_STAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs.add(fieldErr("ASCBOT_SANDBOX_STAGE", fmt.Sprintf("%q must be a positive duration like 1m or 30s", v)))
		} else {
			c.SandboxStage = d
		}
	}
}

// checkURL accepts absolute http(s) URLs without query or fragment. The
// error never repeats the URL (it could carry credentials in its userinfo).
func checkURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("must be an absolute http(s) URL")
	}
	if u.User != nil {
		return errors.New("must not contain credentials")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not have a query or fragment")
	}
	return nil
}

// pathCause strips the *fs.PathError wrapper (whose text repeats the op and
// path) so messages read "reading /x.p8: no such file or directory".
func pathCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultKey is the name of the App Store Connect API key the ASC_KEY_ID,
// ASC_ISSUER_ID and ASC_PRIVATE_KEY(_PATH) variables configure.
const DefaultKey = "default"

// Key is one App Store Connect API key. A key belongs to one team and sees
// that team's apps. The private key itself comes from a file or an
// environment variable, never from the YAML.
type Key struct {
	Name           string `yaml:"name"`
	KeyID          string `yaml:"key_id"`
	IssuerID       string `yaml:"issuer_id"`
	PrivateKeyPath string `yaml:"private_key_path"`
	PrivateKeyEnv  string `yaml:"private_key_env"`
	// PrivateKey is the PEM text Load read from PrivateKeyPath or
	// PrivateKeyEnv (normal mode only).
	PrivateKey Secret `yaml:"-"`
	// Inline records that a private_key was written into the YAML, to
	// refuse it with a clear message; its value is never kept.
	Inline present `yaml:"private_key"`
}

// present records that a YAML field was given, dropping its value.
type present bool

// UnmarshalYAML implements yaml.Unmarshaler.
func (p *present) UnmarshalYAML(*yaml.Node) error {
	*p = true
	return nil
}

// KeyName is the name of the key the app is read with.
func (a App) KeyName() string {
	if a.Key == "" {
		return DefaultKey
	}
	return a.Key
}

// Key returns the key named name.
func (c *Config) Key(name string) (Key, bool) {
	for _, k := range c.Keys {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}

// KeyNames returns the keys' names in configuration order.
func (c *Config) KeyNames() []string {
	out := make([]string, 0, len(c.Keys))
	for _, k := range c.Keys {
		out = append(out, k.Name)
	}
	return out
}

var (
	keyNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	envNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// noASCVars reports whether none of the ASC_* key variables is set: there
// is no default key, which is fine only when the YAML has keys.
func noASCVars(env func(string) string) bool {
	return env("ASC_KEY_ID") == "" && env("ASC_ISSUER_ID") == "" && env("ASC_PRIVATE_KEY_PATH") == "" && env("ASC_PRIVATE_KEY") == ""
}

// validateKeys checks the YAML's keys and the apps' key names (file-level
// rules; key material and the default key are Load's business).
func (f *File) validateKeys() error {
	names := map[string]int{}
	ids := map[string]int{}
	for i := range f.Keys {
		k := &f.Keys[i]
		field := fmt.Sprintf("keys[%d]", i)
		k.Name = strings.TrimSpace(k.Name)
		switch {
		case k.Name == "":
			return fieldErr(field+".name", "missing")
		case k.Name == DefaultKey:
			return fieldErr(field+".name", `"default" is the key ASC_KEY_ID configures; pick another name`)
		case !keyNameRe.MatchString(k.Name):
			return fieldErr(field+".name", fmt.Sprintf("%q must be lower-case letters, digits, - or _ (at most 32), like client-b", k.Name))
		}
		if j, dup := names[k.Name]; dup {
			return fieldErr(field+".name", fmt.Sprintf("duplicate key name %q (also keys[%d])", k.Name, j))
		}
		names[k.Name] = i
		switch {
		case k.KeyID == "":
			return fieldErr(field+".key_id", "missing")
		case !keyIDRe.MatchString(k.KeyID):
			return fieldErr(field+".key_id", "must be letters and digits, like 2X9R4HXF34")
		}
		if j, dup := ids[k.KeyID]; dup {
			return fieldErr(field+".key_id", fmt.Sprintf("duplicate key id %s (also keys[%d])", k.KeyID, j))
		}
		ids[k.KeyID] = i
		switch {
		case k.IssuerID == "":
			return fieldErr(field+".issuer_id", "missing")
		case !issuerIDRe.MatchString(k.IssuerID):
			return fieldErr(field+".issuer_id", "must be a UUID like 57246542-96fe-1a63-e053-0824d011072a")
		}
		switch {
		case bool(k.Inline):
			return fieldErr(field+".private_key", "not allowed: the private key never goes in the YAML; use private_key_path or private_key_env")
		case k.PrivateKeyPath != "" && k.PrivateKeyEnv != "":
			return fieldErr(field+".private_key_path", "set only one of private_key_path and private_key_env")
		case k.PrivateKeyPath == "" && k.PrivateKeyEnv == "":
			return fieldErr(field+".private_key_path", "missing (or set private_key_env)")
		case k.PrivateKeyEnv != "" && !envNameRe.MatchString(k.PrivateKeyEnv):
			return fieldErr(field+".private_key_env", fmt.Sprintf("%q must be an environment variable name like CLIENTB_ASC_PRIVATE_KEY", k.PrivateKeyEnv))
		}
	}
	for i := range f.Apps {
		a := &f.Apps[i]
		a.Key = strings.TrimSpace(a.Key)
		if a.Key == "" || a.Key == DefaultKey {
			continue
		}
		if _, ok := names[a.Key]; !ok {
			return fieldErr(fmt.Sprintf("apps[%d].key", i), fmt.Sprintf("unknown key %q (keys: %s)", a.Key, strings.Join(f.keyNames(), ", ")))
		}
	}
	return nil
}

// keyNames is DefaultKey plus the YAML keys' names.
func (f *File) keyNames() []string {
	out := []string{DefaultKey}
	for _, k := range f.Keys {
		out = append(out, k.Name)
	}
	return out
}

// loadKeys completes c.Keys once the environment and the YAML are read: the
// default key first (when ASC_* configure it, or always in sandbox and demo
// modes), the YAML keys' material read from their file or variable, the
// rules that need both, and the warnings.
func loadKeys(c *Config, getenv func(string) string, noDefault bool, errs *problems) {
	yamlKeys := c.Keys
	if noDefault && len(yamlKeys) == 0 {
		return // loadASC reported the missing variables
	}
	c.Keys = nil
	if !noDefault {
		c.Keys = append(c.Keys, Key{Name: DefaultKey, KeyID: c.ASC.KeyID, IssuerID: c.ASC.IssuerID, PrivateKeyPath: c.ASC.PrivateKeyPath, PrivateKey: c.ASC.PrivateKey})
	}
	for i, k := range yamlKeys {
		field := fmt.Sprintf("keys[%d]", i)
		if c.Mode == ModeNormal {
			if !noDefault && k.KeyID == c.ASC.KeyID {
				errs.add(fieldErr(field+".key_id", fmt.Sprintf("duplicate key id %s (also ASC_KEY_ID)", k.KeyID)))
			}
			var err error
			if k.PrivateKeyPath != "" {
				k.PrivateKey, err = readKeyFile(field+".private_key_path", k.PrivateKeyPath)
			} else if v := strings.TrimSpace(getenv(k.PrivateKeyEnv)); v == "" {
				err = fieldErr(field+".private_key_env", k.PrivateKeyEnv+" is not set")
			} else {
				k.PrivateKey, err = readKeyText(field+".private_key_env", v)
			}
			errs.add(err)
		}
		c.Keys = append(c.Keys, k)
	}
	used := map[string]bool{}
	for i, a := range c.Apps {
		if _, ok := c.Key(a.KeyName()); ok {
			used[a.KeyName()] = true
			continue
		}
		// Only the default key can be missing here (validateKeys checked
		// the others).
		if a.Key == "" {
			errs.add(fieldErr(fmt.Sprintf("apps[%d].key", i), fmt.Sprintf("missing: there is no default key (ASC_KEY_ID is not set), so every app names one of: %s", strings.Join(c.KeyNames(), ", "))))
			continue
		}
		errs.add(fieldErr(fmt.Sprintf("apps[%d].key", i), fmt.Sprintf("unknown key %q: ASC_KEY_ID is not set (keys: %s)", a.Key, strings.Join(c.KeyNames(), ", "))))
	}
	if len(c.Apps) > 0 && len(c.Keys) > 1 {
		for i, k := range c.Keys {
			if used[k.Name] {
				continue
			}
			field := "ASC_KEY_ID"
			if k.Name != DefaultKey {
				field = fmt.Sprintf("keys[%d]", i-(len(c.Keys)-len(yamlKeys)))
			}
			c.Warnings = append(c.Warnings, fmt.Sprintf("config: %s: key %q is used by no app in apps (its apps are still reachable by name)", field, k.Name))
		}
	}
}

// readKeyFile reads a .p8 file and checks it holds an ES256 key.
func readKeyFile(field, path string) (Secret, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", &Error{Field: field, Problem: "reading " + path, Err: pathCause(err)}
	}
	if !validP256Key(data) {
		return "", fieldErr(field, "not a PKCS#8 PEM EC P-256 key")
	}
	return Secret(data), nil
}

// readKeyText checks a PEM text given in a variable ("\n" escapes read as
// newlines).
func readKeyText(field, text string) (Secret, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, `\n`, "\n"))
	if !validP256Key([]byte(text)) {
		return "", fieldErr(field, "not a PKCS#8 PEM EC P-256 key")
	}
	return Secret(text + "\n"), nil
}

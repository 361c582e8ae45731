package profile

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/crampd/crampd/internal/domain"
	// Every program that reads a profile must know every channel type, or
	// it would call a valid channel unknown; importing the types here
	// makes that hold for the CLI, the daemon and every test alike.
	_ "github.com/crampd/crampd/internal/notify/channels"
	"github.com/crampd/crampd/internal/notify/registry"
)

// Channel is one configured delivery channel.
type Channel struct {
	// Type is the channel's registered type ("webhook").
	Type string
	// Name identifies the channel in the state database and the logs; it
	// defaults to the type, with a number when a type repeats.
	Name string
	// Kinds filters what the channel receives; empty means every kind.
	Kinds []domain.Kind
	// Config is the type's own configuration, decoded and checked by the
	// type itself (see internal/notify/registry). registry.Build turns it
	// into a notifier.
	Config registry.Config

	// at and keys locate the channel's table and the keys its type read,
	// for problems found when its secrets are read.
	at   Problem
	keys map[string]Problem
}

// Takes reports whether the channel receives reminders of kind k.
func (c Channel) Takes(k domain.Kind) bool {
	return len(c.Kinds) == 0 || slices.Contains(c.Kinds, k)
}

// ChannelsInUse returns the channels the daemon delivers through: the
// profile's own, or, when it names none, the default channel type with its
// defaults.
func (p *Profile) ChannelsInUse() []Channel {
	if len(p.Channels) > 0 {
		return p.Channels
	}
	typ, ok := registry.DefaultType()
	if !ok {
		return nil
	}
	d := &decoder{file: p.Path}
	ct := &channelTable{d: d, t: d.root(map[string]any{}), keys: map[string]Problem{}}
	return []Channel{{Type: typ.Name, Name: typ.Name, Config: typ.Decode(ct), keys: ct.keys}}
}

// MaxChannels is how many channels a profile may name. Each holds
// connections, and secrets that every log line is checked for; a few are
// all anyone needs.
const MaxChannels = 32

// Keys that would hold a secret inline. They are refused with a message
// that says where secrets go, rather than "unknown key", whatever the
// channel's type.
var inlineSecretKeys = []string{"secret", "token", "password", "key", "signing_key", "auth", "authorization", "bearer", "api_key", "apikey"}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// channels reads every [[channel]]. The keys every channel has (type, name,
// kinds) are read here; the rest by the channel's registered type.
func (d *decoder) channels(root *table, dir string) []Channel {
	var out []Channel
	count := map[string]int{}
	names := map[string]bool{}
	for i, t := range root.tables("channel") {
		if i == MaxChannels {
			d.errorf(t.path, "a profile may name at most %d channels", MaxChannels)
			break
		}
		c := Channel{at: d.locate(t.path, false), keys: map[string]Problem{}}
		for _, k := range inlineSecretKeys {
			if t.has(k) {
				t.forget(k)
				d.problem(t.child(k), true, "inline secrets are not allowed: put the secret in a file readable only by you (secret_file) or in an environment variable (secret_env)")
			}
		}
		typ, known := d.channelType(t)
		if s, ok := t.str("name"); ok {
			if !nameRE.MatchString(s) {
				d.errorf(t.child("name"), "channel name %q may hold only letters, digits, '.', '_' and '-'", s)
			}
			c.Name = s
		}
		c.Kinds = d.channelKinds(t, typ, known)
		if known {
			c.Type = typ.Name
			ct := &channelTable{d: d, t: t, dir: dir, keys: c.keys}
			c.Config = typ.Decode(ct)
			d.finishChannel(ct, typ)
		} else {
			// Without a type there is no telling which keys belong.
			for k := range t.m {
				t.forget(k)
			}
			t.finish()
		}
		count[c.Type]++
		if c.Name == "" {
			c.Name = c.Type
			if n := count[c.Type]; n > 1 {
				c.Name = fmt.Sprintf("%s-%d", c.Type, n)
			}
		}
		if names[c.Name] {
			d.errorf(t.path, "two channels are named %q; give each a distinct name", c.Name)
		}
		names[c.Name] = true
		out = append(out, c)
	}
	return out
}

// channelType reads the channel's type and looks it up in the registry.
func (d *decoder) channelType(t *table) (registry.Type, bool) {
	s, ok := t.required("type", "channel type")
	if !ok {
		return registry.Type{}, false
	}
	typ, known := registry.Lookup(s)
	if !known {
		all := registry.Names()
		d.errorf(t.child("type"), "unknown channel type %q%s", s, wantHint("want one of "+strings.Join(all, ", "), s, all))
	}
	return typ, known
}

// channelKinds reads the kinds a channel receives, each one that its type
// can deliver.
func (d *decoder) channelKinds(t *table, typ registry.Type, known bool) []domain.Kind {
	var out []domain.Kind
	kinds, paths := t.strings("kinds", false)
	for i, s := range kinds {
		k, err := domain.ParseKind(s)
		if err != nil {
			d.errorf(paths[i], "unknown kind %q%s", s, wantHint("want one of "+domain.KindList(), s, names(domain.Kinds())))
			continue
		}
		if known && !typ.Takes(k) {
			d.errorf(paths[i], "a %s channel cannot deliver %s reminders (it takes %s)", typ.Name, k, joinNames(typ.Kinds))
			continue
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	if t.emptyList("kinds") {
		d.errorf(t.child("kinds"), "an empty kinds list would send nothing; leave kinds out to receive every kind")
	}
	if out == nil && known && typ.Kinds != nil {
		out = slices.Clone(typ.Kinds)
	}
	return out
}

// finishChannel reports the keys of a channel's tables that its type never
// read. A key that another type takes gets a message saying so ("a stdout
// channel takes no url"), which says more than "unknown key".
func (d *decoder) finishChannel(ct *channelTable, typ registry.Type) {
	for k := range ct.t.m {
		if slices.Contains(ct.t.asked, k) {
			continue
		}
		if d.anotherTypeTakes(k, typ.Name) {
			ct.t.forget(k)
			d.problem(ct.t.child(k), true, "a %s channel takes no %s", typ.Name, k)
		}
	}
	ct.t.finish()
	for _, sub := range ct.subs {
		sub.t.finish()
	}
}

// anotherTypeTakes reports whether a registered type other than except
// reads key.
func (d *decoder) anotherTypeTakes(key, except string) bool {
	if d.typeKeys == nil {
		d.typeKeys = map[string][]string{}
		for _, typ := range registry.Types() {
			p := &probe{}
			typ.Decode(p)
			d.typeKeys[typ.Name] = p.keys
		}
	}
	for name, keys := range d.typeKeys {
		if name != except && slices.Contains(keys, key) {
			return true
		}
	}
	return false
}

// channelTable is a channel's table as its type reads it (registry.Table).
// It remembers where each key it was asked for sits, so that a secret that
// fails to load later is reported at its key.
type channelTable struct {
	d   *decoder
	t   *table
	dir string
	// rel is the table's path inside the channel: "" for the channel's
	// own table, "replies." for [channel.replies].
	rel  string
	keys map[string]Problem
	// subs are the nested tables handed out, which finishChannel checks
	// for unknown keys too (only on the channel's own table).
	subs []*channelTable
	top  *channelTable
}

func (c *channelTable) note(key string) {
	if c.t.has(key) {
		c.keys[c.rel+key] = c.d.locate(c.t.child(key), false)
	}
}

func (c *channelTable) Has(key string) bool { return c.t.has(key) }

func (c *channelTable) String(key string) (string, bool) {
	c.note(key)
	return c.t.str(key)
}

func (c *channelTable) Required(key, what string) (string, bool) {
	c.note(key)
	return c.t.required(key, what)
}

func (c *channelTable) Table(key string) (registry.Table, bool) {
	present := c.t.has(key)
	c.note(key)
	top := c.top
	if top == nil {
		top = c
	}
	sub := &channelTable{d: c.d, t: c.t.sub(key), dir: c.dir, rel: c.rel + key + ".", keys: c.keys, top: top}
	top.subs = append(top.subs, sub)
	return sub, present
}

func (c *channelTable) Errorf(key, format string, args ...any) {
	path := c.t.path
	if key != "" {
		path = c.t.child(key)
	}
	c.d.errorf(path, format, args...)
}

func (c *channelTable) Path(key string) string { return c.rel + key }

func (c *channelTable) Dir() string { return c.dir }

// probe is a registry.Table with nothing in it that records which keys a
// type asks for, to tell which types take a key.
type probe struct{ keys []string }

func (p *probe) ask(key string) { p.keys = append(p.keys, key) }

func (p *probe) Has(key string) bool { p.ask(key); return false }

func (p *probe) String(key string) (string, bool) { p.ask(key); return "", false }

func (p *probe) Required(key, _ string) (string, bool) { p.ask(key); return "", false }

func (p *probe) Table(key string) (registry.Table, bool) { p.ask(key); return &probe{}, false }

func (p *probe) Errorf(string, string, ...any) {}

func (p *probe) Path(key string) string { return key }

func (p *probe) Dir() string { return "" }

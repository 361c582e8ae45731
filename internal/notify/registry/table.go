package registry

// Table is one channel's table in a profile, as a channel type reads it. The
// profile loader implements it: every problem reported through it carries
// the file, line, column and key path ("channel[2].url"), and every key of
// the table that the type never reads is reported as unknown.
type Table interface {
	// Has reports whether key is present.
	Has(key string) bool
	// String reads an optional string.
	String(key string) (string, bool)
	// Required reads a string that must be present and not blank; what
	// describes it in the message when it is missing ("url").
	Required(key, what string) (string, bool)
	// Table returns the nested table at key ([channel.replies]) and
	// whether it is present; an absent table reads as empty.
	Table(key string) (Table, bool)
	// Errorf reports a problem with the value at key, or with the table
	// itself when key is empty.
	Errorf(key, format string, args ...any)
	// Path returns key's path inside the channel's table
	// ("replies.token_file"), which a KeyError names.
	Path(key string) string
	// Dir is the profile's directory; relative file names are read from it.
	Dir() string
}

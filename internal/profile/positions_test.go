package profile

import "testing"

func TestIndexPositions(t *testing.T) {
	src := `# comment with key = "value"
title = """
wake = "not a key"
"""
[sleep]
wake = "07:00"   # trailing comment
"bed" = '23:00'

[[exercise]]
name = "a"
days = [
  "mon", # first
  "tue",
]
[[exercise]]
name = "b"
inline = { start = "18:30", tags = ["x", "y"] }
dotted.key = 1
[[exercise.part]]
name = "warm-up"
[exercise.part.extra]
x = 1
`
	ix := indexPositions(src)
	tests := []struct {
		path      string
		key, val  Pos
		wantFound bool
	}{
		{"title", Pos{2, 1}, Pos{2, 9}, true},
		{"wake", Pos{}, Pos{}, false},
		{"sleep", Pos{5, 1}, Pos{5, 1}, true},
		{"sleep.wake", Pos{6, 1}, Pos{6, 8}, true},
		{"sleep.bed", Pos{7, 1}, Pos{7, 9}, true},
		{"exercise[1]", Pos{9, 1}, Pos{9, 1}, true},
		{"exercise[1].days[1]", Pos{12, 3}, Pos{12, 3}, true},
		{"exercise[1].days[2]", Pos{13, 3}, Pos{13, 3}, true},
		{"exercise[2].name", Pos{16, 1}, Pos{16, 8}, true},
		{"exercise[2].inline.start", Pos{17, 12}, Pos{17, 20}, true},
		{"exercise[2].inline.tags[2]", Pos{17, 42}, Pos{17, 42}, true},
		{"exercise[2].dotted.key", Pos{18, 1}, Pos{18, 14}, true},
		{"exercise[2].part[1].name", Pos{20, 1}, Pos{20, 8}, true},
		{"exercise[2].part[1].extra.x", Pos{22, 1}, Pos{22, 5}, true},
	}
	for _, tt := range tests {
		s, ok := ix[tt.path]
		if ok != tt.wantFound {
			t.Errorf("%s: found = %v, want %v", tt.path, ok, tt.wantFound)
			continue
		}
		if ok && (s.key != tt.key || s.value != tt.val) {
			t.Errorf("%s: key %v value %v, want key %v value %v", tt.path, s.key, s.value, tt.key, tt.val)
		}
	}
}

func TestIndexPositionsCountsCharacters(t *testing.T) {
	ix := indexPositions("title = \"Ünïcödé\"\nwake = 1\nx = \"é\" ; y = 2\n")
	if s := ix["wake"]; s.value != (Pos{2, 8}) {
		t.Errorf("wake value at %v", s.value)
	}
}

package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/store"
)

// fill records enough history to spread the database over many pages.
func fill(t *testing.T, s *store.Store) {
	t.Helper()
	var due []store.Due
	for i := range 400 {
		o := occ(domain.KindHydration, "hydration/x", t0.Add(time.Duration(i)*time.Minute))
		o.Body = strings.Repeat("water ", 40)
		due = append(due, store.Due{Occurrence: o, Channels: []string{"a"}, Expires: o.At.Add(time.Hour)})
	}
	if _, err := s.RecordFired(context.Background(), t0, due); err != nil {
		t.Fatal(err)
	}
}

// A database with damaged pages is refused at start, with what to do,
// rather than failing later in the middle of a command.
func TestDamagedDatabaseIsRefused(t *testing.T) {
	s, dir := mustOpen(t)
	fill(t, s)
	s.Close()
	path := filepath.Join(dir, "state.db")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	if fi.Size() < 64<<10 {
		t.Fatalf("the database is only %d bytes", fi.Size())
	}
	// Scribble over the middle of the file, page headers included.
	junk := []byte(strings.Repeat("\xff\x00crampd", 1200))
	if _, err := f.WriteAt(junk, fi.Size()/2-4096); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = store.Open(context.Background(), dir)
	if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "A damaged state database") {
		t.Fatalf("open of a damaged database: %v", err)
	}
}

// An empty or missing state.db where the directory held one is refused:
// crampd does not silently start over and forget what was due.
func TestLostDatabaseIsRefused(t *testing.T) {
	s, dir := mustOpen(t)
	s.Close()
	path := filepath.Join(dir, "state.db")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(context.Background(), dir); !errors.Is(err, store.ErrGone) || !strings.Contains(err.Error(), "is empty") {
		t.Fatalf("open of an emptied database: %v", err)
	}
	os.Remove(path)
	if _, err := store.Open(context.Background(), dir); !errors.Is(err, store.ErrGone) || !strings.Contains(err.Error(), "is missing") {
		t.Fatalf("open of a removed database: %v", err)
	}
	// A new directory starts a new database, and marks itself.
	fresh := t.TempDir()
	s2, err := store.Open(context.Background(), fresh)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if _, err := os.Stat(filepath.Join(fresh, "state.id")); err != nil {
		t.Fatalf("a new state directory is not marked: %v", err)
	}
}

// A write-ahead log removed, or a database replaced, under the running
// store is noticed: it refuses to write into files nobody can open again,
// and says so on Broken.
func TestFilesRemovedUnderTheStore(t *testing.T) {
	for _, tt := range []struct {
		name string
		harm func(path string) error
	}{
		{"the WAL removed", func(path string) error { return os.Remove(path + "-wal") }},
		{"the database replaced", func(path string) error {
			other := path + ".other"
			os.WriteFile(other, nil, 0o600)
			return os.Rename(other, path)
		}},
		{"the database removed", func(path string) error { return os.Remove(path) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := mustOpen(t)
			fill(t, s)
			if err := s.Check(); err != nil {
				t.Fatalf("a healthy store: %v", err)
			}
			if err := tt.harm(filepath.Join(dir, "state.db")); err != nil {
				t.Fatal(err)
			}
			if err := s.Check(); !errors.Is(err, store.ErrGone) {
				t.Fatalf("check: %v", err)
			}
			select {
			case <-s.Broken():
			default:
				t.Fatal("Broken is not closed")
			}
			err := s.Do(context.Background(), func(tx *store.Tx) error { return tx.SetPauseUntil(time.Time{}) })
			if !errors.Is(err, store.ErrGone) {
				t.Fatalf("a write after the files went: %v", err)
			}
		})
	}
}

package deploy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// maxTrackedSize is the largest file the repository may track. The biggest today is a
// 150 kB screenshot; a 43 MB build of the perf program once slipped in (b9d23f6), and
// every clone carries what history holds for good.
const maxTrackedSize = 1 << 20

// maxProductionLines is the longest a non-test Go file may be: files hold one concept
// each, in 100–300 lines, 400 at most.
const maxProductionLines = 400

// repoRoot returns the top of the git work tree this package sits in, or skips the test
// when git is not installed or the source is not a git checkout (an unpacked archive).
func repoRoot(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: the tracked-file checks need git ls-files")
	}
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not a git checkout (git rev-parse --show-toplevel: %v): the tracked-file checks need git ls-files", err)
	}
	return strings.TrimSpace(string(out))
}

// trackedFile is one entry of the git index.
type trackedFile struct {
	mode, path string
}

// trackedFiles lists the git index of the work tree at root (git ls-files --stage).
func trackedFiles(t *testing.T, root string) []trackedFile {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "--stage", "-z")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files --stage: %v", err)
	}
	var files []trackedFile
	for _, entry := range bytes.Split(out, []byte{0}) {
		// "<mode> <object> <stage>\t<path>"
		meta, path, ok := strings.Cut(string(entry), "\t")
		if !ok {
			continue
		}
		files = append(files, trackedFile{mode: strings.Fields(meta)[0], path: path})
	}
	if len(files) == 0 {
		t.Fatal("git ls-files --stage lists no file")
	}
	return files
}

// binaryFormat names the executable format of the file that starts with head, or returns
// "" when it is none. ra reads further for PE, whose "MZ" alone a text file could begin with.
func binaryFormat(head []byte, ra io.ReaderAt) string {
	if len(head) < 4 {
		return ""
	}
	switch {
	case bytes.Equal(head[:4], []byte("\x7fELF")):
		return "ELF"
	case binary.BigEndian.Uint32(head) == 0xcafebabe, binary.BigEndian.Uint32(head) == 0xbebafeca:
		return "Mach-O universal"
	}
	switch binary.LittleEndian.Uint32(head) {
	case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe:
		return "Mach-O"
	}
	if bytes.Equal(head[:2], []byte("MZ")) {
		// The DOS header's e_lfanew (at 0x3c) points at the "PE\0\0" signature.
		var off [4]byte
		if _, err := ra.ReadAt(off[:], 0x3c); err != nil {
			return ""
		}
		var sig [4]byte
		if _, err := ra.ReadAt(sig[:], int64(binary.LittleEndian.Uint32(off[:]))); err == nil && string(sig[:]) == "PE\x00\x00" {
			return "PE"
		}
	}
	return ""
}

// checkTracked returns what is wrong with the tracked file at path (mode as git records
// it), or nothing.
func checkTracked(path, mode string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var problems []string
	if st.Size() > maxTrackedSize {
		problems = append(problems, "is "+humanSize(st.Size())+", over the 1 MiB a tracked file may be")
	}
	head := make([]byte, 4)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	head = head[:n]
	if format := binaryFormat(head, f); format != "" {
		problems = append(problems, "is an executable binary ("+format+"): build outputs belong in .gitignore")
	}
	if mode == "100755" && !bytes.HasPrefix(head, []byte("#!")) {
		problems = append(problems, "has the executable bit but is not a script (no #! line): git update-index --chmod=-x")
	}
	return problems, nil
}

func humanSize(n int64) string {
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// TestTrackedFiles fails when the repository tracks a file over 1 MiB, an executable
// binary (ELF, Mach-O or PE), or a file with the executable bit that is not a script.
func TestTrackedFiles(t *testing.T) {
	root := repoRoot(t)
	for _, tf := range trackedFiles(t, root) {
		if tf.mode != "100644" && tf.mode != "100755" {
			continue // a symbolic link or a submodule: nothing of its own to read
		}
		problems, err := checkTracked(filepath.Join(root, tf.path), tf.mode)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree, not yet in the index
		}
		if err != nil {
			t.Errorf("%s: %v", tf.path, err)
		}
		for _, p := range problems {
			t.Errorf("%s %s", tf.path, p)
		}
	}
}

// TestCheckTrackedRefuses shows that the checks of TestTrackedFiles catch what they are
// for, on files written here: a clean repository alone would never make them fail.
func TestCheckTrackedRefuses(t *testing.T) {
	dir := t.TempDir()
	pe := make([]byte, 0x80)
	copy(pe, "MZ")
	binary.LittleEndian.PutUint32(pe[0x3c:], 0x40)
	copy(pe[0x40:], "PE\x00\x00")
	for _, tc := range []struct {
		name, mode string
		content    []byte
		want       string // a fragment of the problem; "" for none
	}{
		{"text", "100644", []byte("package x\n"), ""},
		{"empty", "100644", nil, ""},
		{"script", "100755", []byte("#!/bin/sh\necho hi\n"), ""},
		{"large", "100644", bytes.Repeat([]byte("a"), maxTrackedSize+1), "over the 1 MiB"},
		{"large elf", "100755", append([]byte("\x7fELF"), make([]byte, maxTrackedSize)...),
			"over the 1 MiB a tracked file may be; is an executable binary (ELF): build outputs belong in .gitignore; has the executable bit"},
		{"elf", "100644", []byte("\x7fELF\x02\x01\x01\x00"), "ELF"},
		{"macho", "100755", []byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1}, "Mach-O"},
		{"fat", "100644", []byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2}, "Mach-O universal"},
		{"pe", "100644", pe, "PE"},
		{"mz text", "100644", []byte("MZ is a text file's first word\n"), ""},
		{"executable text", "100755", []byte("not a script\n"), "executable bit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.WriteFile(path, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			problems, err := checkTracked(path, tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(problems, "; ")
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("checkTracked = %q, want %q", got, tc.want)
			}
		})
	}
}

// longGoFiles returns the non-test Go files under root longer than max lines, with their
// lengths, skipping the directories the go command ignores (testdata, ., _).
func longGoFiles(root string, max int) (map[string]int, error) {
	long := map[string]int{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		n, err := countLines(path)
		if err != nil {
			return err
		}
		if n > max {
			rel, _ := filepath.Rel(root, path)
			long[filepath.ToSlash(rel)] = n
		}
		return nil
	})
	return long, err
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}

// TestProductionFileSize fails when a non-test Go file of the module is over 400 lines,
// naming each: a file that long holds more than one concept; split it.
func TestProductionFileSize(t *testing.T) {
	long, err := longGoFiles("..", maxProductionLines)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range slices.Sorted(maps.Keys(long)) {
		t.Errorf("%s is %d lines, over the %d a production file may be: split it into files of one concept each", path, long[path], maxProductionLines)
	}
}

// TestLongGoFilesFinds shows that TestProductionFileSize catches a long file, and only
// one that counts: not a test, not under testdata, not at the limit itself.
func TestLongGoFilesFinds(t *testing.T) {
	root := t.TempDir()
	lines := func(n int) []byte { return bytes.Repeat([]byte("//\n"), n) }
	for path, content := range map[string][]byte{
		"long.go":                 lines(maxProductionLines + 1),
		"pkg/long.go":             lines(maxProductionLines + 7),
		"pkg/at_limit.go":         lines(maxProductionLines),
		"pkg/long_test.go":        lines(maxProductionLines + 1),
		"pkg/testdata/long.go":    lines(maxProductionLines + 1),
		"pkg/.hidden/long.go":     lines(maxProductionLines + 1),
		"pkg/notes.txt":           lines(maxProductionLines + 1),
		"pkg/no_final_newline.go": append(lines(maxProductionLines), "//"...),
	} {
		p := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := longGoFiles(root, maxProductionLines)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"long.go": maxProductionLines + 1, "pkg/long.go": maxProductionLines + 7,
		"pkg/no_final_newline.go": maxProductionLines + 1}
	if !maps.Equal(got, want) {
		t.Errorf("longGoFiles = %v, want %v", got, want)
	}
}

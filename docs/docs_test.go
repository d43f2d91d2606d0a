// Package docs holds the notifier's documentation beyond the README. It has no code: its
// tests hold the pages to the code they describe (the package map in development.md) and
// to each other (the README stays the front door, and every relative link resolves).
package docs

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// root is the repository, seen from this package's directory.
const root = ".."

// testCommand is the README's test command: CI (.ci/run) runs it, and people copy it.
const testCommand = "go test -race ./... && go vet ./..."

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the text of the "## title" section of doc, up to the next "## ".
func section(t *testing.T, doc, title string) string {
	t.Helper()
	_, s, ok := strings.Cut(doc, "\n## "+title+"\n")
	if !ok {
		t.Fatalf("no section %q", title)
	}
	s, _, _ = strings.Cut(s, "\n## ")
	return s
}

// goPackages lists the directories under cmd/ and internal/ that hold Go code, as paths
// relative to the repository ("internal/sinks/slacksink"); testdata is not code.
func goPackages(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, top := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(d.Name(), ".go") {
				return nil
			}
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			if rel = filepath.ToSlash(rel); !slices.Contains(out, rel) {
				out = append(out, rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// mapRows returns the packages the package map of development.md lists, top first.
func mapRows(t *testing.T) []string {
	t.Helper()
	row := regexp.MustCompile("^\\| `([^`]+)` \\|")
	var rows []string
	for _, l := range strings.Split(section(t, read(t, "docs/development.md"), "Package map"), "\n") {
		if m := row.FindStringSubmatch(l); m != nil {
			rows = append(rows, m[1])
		}
	}
	if len(rows) == 0 {
		t.Fatal("development.md: the package map has no rows")
	}
	return rows
}

// imports lists the packages of this module that the non-test files of dir import.
func imports(t *testing.T, module, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range file.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if rel, ok := strings.CutPrefix(p, module+"/"); ok && !slices.Contains(out, rel) {
				out = append(out, rel)
			}
		}
	}
	return out
}

// kindRow is the package map's row of a receiver kind without a row of its own: each kind
// is a package under internal/sinks, and all sit at the same level.
const kindRow = "internal/sinks/<kind>"

// rowOf is the index of the row that lists package p: its own, or kindRow for a receiver
// kind that has none; -1 when none does.
func rowOf(rows []string, p string) int {
	if i := slices.Index(rows, p); i >= 0 {
		return i
	}
	if dir, _ := path.Split(p); dir == "internal/sinks/" {
		return slices.Index(rows, kindRow)
	}
	return -1
}

// The package map in development.md covers every package under cmd/ and internal/, names
// none that is gone, and lists a package above every package it imports.
func TestPackageMapCoversEveryPackage(t *testing.T) {
	rows := mapRows(t)
	pkgs := goPackages(t)
	for _, p := range pkgs {
		if rowOf(rows, p) < 0 {
			t.Errorf("development.md's package map does not list %s: add a row (below the packages importing it, above those it imports)", p)
		}
	}
	for _, r := range rows {
		if !slices.Contains(pkgs, r) && r != kindRow {
			t.Errorf("development.md's package map lists %s, which holds no Go code: remove or rename the row", r)
		}
	}
	module := ""
	if m := regexp.MustCompile(`(?m)^module (\S+)`).FindStringSubmatch(read(t, "go.mod")); m != nil {
		module = m[1]
	}
	for _, p := range pkgs {
		i := rowOf(rows, p)
		for _, imp := range imports(t, module, p) {
			if j := rowOf(rows, imp); j >= 0 && j < i {
				t.Errorf("%s imports %s, which development.md's package map lists above it: move a row, or drop the import", p, imp)
			}
		}
	}
}

// The README is the front door: short, with the test command CI runs, the demo, and a link
// to every page of docs/.
func TestReadmeIsTheFrontDoor(t *testing.T) {
	readme := read(t, "README.md")
	if n := strings.Count(readme, "\n"); n > 300 {
		t.Errorf("README.md has %d lines; at most 300: move the detail to docs/", n)
	}
	for _, want := range []string{testCommand, "go run ./cmd/notifier demo"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md does not show %q", want)
		}
	}
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if link := "(docs/" + filepath.Base(p) + ")"; !strings.Contains(readme, link) {
			t.Errorf("README.md's map of the docs does not link %s", link)
		}
	}
}

var (
	linkRE    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRE = regexp.MustCompile(`^#{1,6} (.+)$`)
	notSlugRE = regexp.MustCompile(`[^\p{L}\p{N} _-]`)
)

// anchors returns the anchors GitHub gives the headings of a Markdown file: lower case,
// punctuation dropped, spaces as hyphens, "-1", "-2"... after a repeated one.
func anchors(doc string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, l := range mdLines(doc) {
		m := headingRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		a := strings.ReplaceAll(notSlugRE.ReplaceAllString(strings.ToLower(m[1]), ""), " ", "-")
		if n := seen[a]; n > 0 {
			out[a+"-"+strconv.Itoa(n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

// mdLines returns the lines of a Markdown file outside fenced code blocks.
func mdLines(doc string) []string {
	var out []string
	fenced := false
	sc := bufio.NewScanner(strings.NewReader(doc))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			out = append(out, l)
		}
	}
	return out
}

// Every relative link of the README and of docs/ reaches a file, and a heading when it names
// one: the pages were cut from one README, and a link left pointing at the old place is
// the mistake this catches.
func TestRelativeLinksResolve(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, filepath.Join(root, "README.md"))
	for _, page := range pages {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range mdLines(string(b)) {
			for _, m := range linkRE.FindAllStringSubmatch(l, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				path, anchor, _ := strings.Cut(target, "#")
				file := page
				if path != "" {
					file = filepath.Join(filepath.Dir(page), path)
				}
				name, _ := filepath.Rel(root, page)
				if _, err := os.Stat(file); err != nil {
					t.Errorf("%s: link %s: %v", name, target, err)
					continue
				}
				if anchor == "" || !strings.HasSuffix(file, ".md") {
					continue
				}
				if doc, err := os.ReadFile(file); err != nil || !anchors(string(doc))[anchor] {
					t.Errorf("%s: link %s: no such heading", name, target)
				}
			}
		}
	}
}

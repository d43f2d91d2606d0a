package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// stringVars returns the package-level string variables of the Go package in dir, the
// ones -ldflags -X can set.
func stringVars(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					// var x = "..." or var x string
					if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "string" {
						out[n.Name] = true
					} else if vs.Type == nil && i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							out[n.Name] = true
						}
					}
				}
			}
		}
	}
	return out
}

var ldflagX = regexp.MustCompile(`-X ([\w./-]+)\.(\w+)=([^\s"]*)`)

// TestDockerfile checks what can be checked without a Docker engine: the build
// cross-compiles from the builder's platform, every -X stamps a string variable that
// exists (the linker silently ignores one that does not), http.listen is stamped
// reachable on the exposed port, and the image runs as non-root in a working
// directory it owns.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	for _, want := range []string{
		"FROM --platform=$BUILDPLATFORM ", "ARG TARGETOS", "ARG TARGETARCH",
		"GOOS=${TARGETOS} GOARCH=${TARGETARCH}", "CGO_ENABLED=0",
		"COPY --from=build --chown=65532:65532 /out/state /var/lib/notifier",
		"WORKDIR /var/lib/notifier", "USER 65532:65532", "EXPOSE 9464", "HEALTHCHECK ",
		"-X main.version=${VERSION}", "-X main.commit=${COMMIT}",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	dirs := map[string]string{"main": "../cmd/notifier"}
	stamped := map[string]string{}
	for _, m := range ldflagX.FindAllStringSubmatch(df, -1) {
		pkg, name := m[1], m[2]
		dir, ok := dirs[pkg]
		if !ok {
			dir = filepath.Join("..", strings.TrimPrefix(pkg, "notifier/"))
		}
		if !stringVars(t, dir)[name] {
			t.Errorf("-X %s.%s: no string variable %s in %s", pkg, name, name, dir)
		}
		stamped[pkg+"."+name] = m[3]
	}
	if got := stamped["notifier/internal/config.defaultListen"]; got != "0.0.0.0:9464" {
		t.Errorf("the image's http.listen default is %q, want 0.0.0.0:9464 (EXPOSE 9464)", got)
	}
}

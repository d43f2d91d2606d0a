package linktmpl

import "testing"

func TestExpand(t *testing.T) {
	tpl, err := Parse("https://c.example.com/{{.Region}}/i/{{.InstanceID}}?n={{.InstanceName}}")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := Expand(tpl, map[string]string{"Region": "cn-north-4", "InstanceID": "a/b&c=d e", "InstanceName": "x?y#z"})
	if want := "https://c.example.com/cn-north-4/i/a%2Fb%26c%3Dd%20e?n=x%3Fy%23z"; !ok || got != want {
		t.Errorf("got %q %v, want %q", got, ok, want)
	}
	if got, ok := Expand(tpl, map[string]string{"Region": "cn-north-4", "InstanceName": "n"}); ok {
		t.Errorf("a link over a field that is not set was invented: %q", got)
	}
	if got, ok := Expand(tpl, map[string]string{"Region": "cn-north-4", "InstanceID": "  ", "InstanceName": "n"}); ok {
		t.Errorf("a link over a blank field was invented: %q", got)
	}
}

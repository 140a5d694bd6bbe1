package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestYAMLToJSONKeepsYAML12Scalars(t *testing.T) {
	raw := []byte(`name: Norway
fields:
  customfield_10051: {value: NO}
  customfield_10052: 0755
  flag: true
  timeoutSeconds: 30
  ratio: 1.5
  hex: 0x1F
  nothing: null
addLabels: [on, off, "y"]
`)

	got, err := yamlToJSON(raw)

	if err != nil {
		t.Fatal(err)
	}
	want := `{"addLabels":["on","off","y"],"fields":{"customfield_10051":{"value":"NO"},"customfield_10052":"0755","flag":true,"hex":"0x1F","nothing":null,"ratio":1.5,"timeoutSeconds":30},"name":"Norway"}`
	if diff := cmp.Diff(string(got), want); diff != "" {
		t.Errorf("JSON (-got +want):\n%s", diff)
	}
}

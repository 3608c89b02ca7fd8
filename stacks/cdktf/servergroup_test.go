package cdktf_test

import (
	"bytes"
	"reflect"
	"sort"
	"testing"

	"github.com/twinstack/twinstack/constructs"
)

// cloudFormationOnly are the server group's model fields Terraform has no
// argument for: CloudFormation's UpdatePolicy AutoScalingRollingUpdate
// (MaxBatchSize, MinInstancesInService, SuspendProcesses). Terraform's
// rolling update is instance_refresh with the percentages (and PauseSec as
// its instance_warmup).
var cloudFormationOnly = map[string]bool{
	"Rolling.MaxBatch":         true,
	"Rolling.MinInService":     true,
	"Rolling.SuspendProcesses": true,
}

// TestServerGroupFieldsRendered changes every literal field of the
// model's server group (its launch template, hook, scaling policy and
// rolling update included), one at a time, and expects the synthesized
// configuration to change, except for the fields only CloudFormation has,
// which must change nothing. A field added to the model fails here until
// the renderer translates it or it is listed above. References (IDs) are
// not changed: checkServers asserts each against the model.
func TestServerGroupFieldsRendered(t *testing.T) {
	root := fakeRoot(t)
	cfg, sys := loadCase(t, "count2")
	_, base := synth(t, cfg, sys, root, t.TempDir())
	var paths []string
	leaves(reflect.ValueOf(&sys.Servers).Elem(), "", func(path string, _ reflect.Value) { paths = append(paths, path) })
	sort.Strings(paths)
	seen := map[string]bool{}
	for _, path := range paths {
		seen[path] = true
		t.Run(path, func(t *testing.T) {
			cfg, sys := loadCase(t, "count2")
			leaves(reflect.ValueOf(&sys.Servers).Elem(), "", func(p string, v reflect.Value) {
				if p == path {
					change(v)
				}
			})
			_, got := synth(t, cfg, sys, root, t.TempDir())
			switch same := bytes.Equal(base, got); {
			case cloudFormationOnly[path] && !same:
				t.Errorf("%s is CloudFormation's only, but changing it changed the Terraform configuration", path)
			case !cloudFormationOnly[path] && same:
				t.Errorf("changing %s changed nothing: the renderer ignores it", path)
			}
		})
	}
	for path := range cloudFormationOnly {
		if !seen[path] {
			t.Errorf("cloudFormationOnly lists %s, which the model does not have", path)
		}
	}
}

// leaves calls fn for every string, int and bool field under v (a
// struct), by dotted path; IDs and slices of IDs are references and are
// skipped.
func leaves(v reflect.Value, prefix string, fn func(string, reflect.Value)) {
	idType := reflect.TypeOf(constructs.ID(""))
	for i := 0; i < v.NumField(); i++ {
		f, fv := v.Type().Field(i), v.Field(i)
		path := prefix + f.Name
		switch {
		case f.Type == idType:
		case f.Type.Kind() == reflect.Struct:
			leaves(fv, path+".", fn)
		case f.Type.Kind() == reflect.String, f.Type.Kind() == reflect.Int, f.Type.Kind() == reflect.Bool:
			fn(path, fv)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem() == idType:
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			fn(path, fv)
		default:
			panic("leaves: unhandled field " + path + " of type " + f.Type.String())
		}
	}
}

// change sets a leaf to a different value of its kind.
func change(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int:
		v.SetInt(v.Int() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.ValueOf("x").Convert(v.Type().Elem())))
	}
}

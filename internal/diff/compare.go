package diff

import (
	"fmt"
	"sort"

	"github.com/twinstack/twinstack/internal/diff/cfn"
	"github.com/twinstack/twinstack/internal/diff/entity"
	"github.com/twinstack/twinstack/internal/diff/tfjson"
)

// Input is one synthesized document.
type Input struct {
	Path string // for messages and the report
	Data []byte
}

// Load reads and maps both documents. Errors are *inventory.Error (with the
// path and the reason) for documents that cannot be read.
func Load(tf, cf Input) (tfSet, cfSet *entity.Set, err error) {
	tdoc, err := tfjson.Read(tf.Path, tf.Data)
	if err != nil {
		return nil, nil, err
	}
	cdoc, err := cfn.Read(cf.Path, cf.Data)
	if err != nil {
		return nil, nil, err
	}
	if tfSet, err = entity.FromTerraform(tdoc); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", tf.Path, err)
	}
	if cfSet, err = entity.FromCloudFormation(cdoc); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cf.Path, err)
	}
	return tfSet, cfSet, nil
}

// Run reads, maps and compares two documents.
func Run(tf, cf Input) (*Report, error) {
	t, c, err := Load(tf, cf)
	if err != nil {
		return nil, err
	}
	return Compare(t, c), nil
}

// Compare pairs the entities of the two sides and compares every property
// of every pair. Keys in the report are Terraform's where the sides differ.
func Compare(tf, cf *entity.Set) *Report {
	r := &Report{
		Terraform:      Side{Path: tf.Path, Entities: len(tf.Entities)},
		CloudFormation: Side{Path: cf.Path, Entities: len(cf.Entities)},
	}
	alias := map[entity.Kind]map[string]string{}
	aliasFn := func(k entity.Kind, key string) string {
		if a, ok := alias[k][key]; ok {
			return a
		}
		return key
	}
	type pair struct{ t, c *entity.Entity }
	var pairs []pair
	for _, k := range entity.Kinds() {
		ts, cs := tf.Of(k), cf.Of(k)
		alias[k] = map[string]string{}
		tUsed, cUsed := make([]bool, len(ts)), make([]bool, len(cs))
		match := func(i, j int) {
			tUsed[i], cUsed[j] = true, true
			alias[k][cs[j].Key] = ts[i].Key
			pairs = append(pairs, pair{ts[i], cs[j]})
		}
		// By identity first.
		byKey := map[string]int{}
		for j, c := range cs {
			byKey[c.Key] = j
		}
		for i, t := range ts {
			if j, ok := byKey[t.Key]; ok && !cUsed[j] {
				match(i, j)
			}
		}
		// Then what is left by the properties the entities share: a
		// renamed bucket is still the bucket, reported as a name
		// difference. Outputs are identified by their name alone.
		if k != entity.Output {
			props := entity.Properties(k)
			need := (len(props) + 1) / 2
			if need < 1 {
				need = 1
			}
			for _, c := range candidates(ts, cs, tUsed, cUsed, props, aliasFn) {
				if c.score < need {
					break
				}
				if !tUsed[c.i] && !cUsed[c.j] {
					match(c.i, c.j)
				}
			}
			// One left on each side (the internet gateway, the load
			// balancer): the same thing, however much it differs.
			ti, cj := unmatched(tUsed), unmatched(cUsed)
			if len(ti) == 1 && len(cj) == 1 {
				match(ti[0], cj[0])
			}
		}
		for i, t := range ts {
			if !tUsed[i] {
				r.OnlyTerraform = append(r.OnlyTerraform, entityItem(t))
			}
		}
		for j, c := range cs {
			if !cUsed[j] {
				r.OnlyCloudFormation = append(r.OnlyCloudFormation, entityItem(c))
			}
		}
	}
	for _, p := range pairs {
		var diffs []Difference
		for _, name := range entity.Properties(p.t.Kind) {
			tv := p.t.Prop(name).Render(nil)
			cv := p.c.Prop(name).Render(aliasFn)
			if equalStrings(tv, cv) {
				continue
			}
			d := Difference{Kind: string(p.t.Kind), Key: p.t.Key, Property: name, Terraform: tv, CloudFormation: cv}
			if p.t.Prop(name).Set || p.c.Prop(name).Set {
				d.Set = true
				d.OnlyTerraform, d.OnlyCloudFormation = setDiff(tv, cv)
			}
			diffs = append(diffs, d)
		}
		if len(diffs) == 0 {
			r.Equal = append(r.Equal, Match{Kind: string(p.t.Kind), Key: p.t.Key, Terraform: p.t.Sources, CloudFormation: p.c.Sources, Properties: len(entity.Properties(p.t.Kind))})
		}
		r.Different = append(r.Different, diffs...)
	}
	for _, n := range tf.Unsupported {
		r.Unsupported = append(r.Unsupported, Note{Side: "terraform", Addr: n.Addr, Type: n.Type, Reason: n.Reason})
	}
	for _, n := range cf.Unsupported {
		r.Unsupported = append(r.Unsupported, Note{Side: "cloudformation", Addr: n.Addr, Type: n.Type, Reason: n.Reason})
	}
	for _, n := range tf.Ignored {
		r.Ignored = append(r.Ignored, Note{Side: "terraform", Addr: n.Addr, Type: n.Type, Reason: n.Reason})
	}
	for _, n := range cf.Ignored {
		r.Ignored = append(r.Ignored, Note{Side: "cloudformation", Addr: n.Addr, Type: n.Type, Reason: n.Reason})
	}
	r.sort()
	return r
}

func unmatched(used []bool) []int {
	var out []int
	for i, u := range used {
		if !u {
			out = append(out, i)
		}
	}
	return out
}

// candidate is a possible pair of unmatched entities and the number of
// properties they agree on.
type candidate struct{ i, j, score int }

// candidates scores every pair of unmatched entities, best first (ties in
// key order). An entity's references to itself (a bucket policy on the
// bucket's own ARN) count as equal whatever its key, so that a renamed
// entity still agrees with its counterpart.
func candidates(ts, cs []*entity.Entity, tUsed, cUsed []bool, props []string, alias entity.Alias) []candidate {
	const self = "\x00self"
	render := func(e *entity.Entity, base entity.Alias) [][]string {
		a := func(k entity.Kind, key string) string {
			if k == e.Kind && key == e.Key {
				return self
			}
			if base != nil {
				return base(k, key)
			}
			return key
		}
		out := make([][]string, len(props))
		for n, p := range props {
			out[n] = e.Prop(p).Render(a)
		}
		return out
	}
	tr := make([][][]string, len(ts))
	for i, t := range ts {
		if !tUsed[i] {
			tr[i] = render(t, nil)
		}
	}
	var out []candidate
	for j, c := range cs {
		if cUsed[j] {
			continue
		}
		cr := render(c, alias)
		for i := range ts {
			if tUsed[i] {
				continue
			}
			score := 0
			for n := range props {
				if equalStrings(tr[i][n], cr[n]) {
					score++
				}
			}
			out = append(out, candidate{i, j, score})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].score != out[b].score {
			return out[a].score > out[b].score
		}
		if ts[out[a].i].Key != ts[out[b].i].Key {
			return ts[out[a].i].Key < ts[out[b].i].Key
		}
		return cs[out[a].j].Key < cs[out[b].j].Key
	})
	return out
}

func entityItem(e *entity.Entity) Item {
	return Item{Kind: string(e.Kind), Key: e.Key, Sources: e.Sources}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// setDiff returns the items of sorted sets a and b that the other lacks.
func setDiff(a, b []string) (onlyA, onlyB []string) {
	in := func(s []string, v string) bool {
		i := sort.SearchStrings(s, v)
		return i < len(s) && s[i] == v
	}
	for _, v := range a {
		if !in(b, v) {
			onlyA = append(onlyA, v)
		}
	}
	for _, v := range b {
		if !in(a, v) {
			onlyB = append(onlyB, v)
		}
	}
	return onlyA, onlyB
}

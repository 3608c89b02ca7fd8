package diff

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/twinstack/twinstack/internal/diff/cfn"
	"github.com/twinstack/twinstack/internal/diff/entity"
	"github.com/twinstack/twinstack/internal/diff/inventory"
	"github.com/twinstack/twinstack/internal/diff/tfhcl"
	"github.com/twinstack/twinstack/internal/diff/tfjson"
)

// Input is one document: a Terraform JSON configuration, a CloudFormation
// template (JSON or YAML), or — with Files — a Terraform root module of
// .tf files.
type Input struct {
	Path  string // for messages and the report
	Data  []byte
	Files []Input // the .tf files of a module (Data unused)
}

// Options are the inputs of hand-written documents besides their files,
// and the pairs the matcher must make.
type Options struct {
	TFVars     map[string]string // --tf-var NAME=VALUE
	TFVarFiles []Input           // --tf-var-file
	CFNParams  map[string]string // --cfn-param NAME=VALUE
	// ReadFile reads a file next to the Terraform module for file() and
	// templatefile(); nil keeps file contents symbolic.
	ReadFile func(name string) ([]byte, error)
	// Match pins Terraform addresses to CloudFormation logical IDs.
	Match []Pin
	// Region is the region both stacks deploy to: AWS::Region and the
	// Terraform region data source compare as this literal.
	Region string
}

// Pin makes the entity holding Terraform resource TF the counterpart of
// the entity holding CloudFormation resource CFN.
type Pin struct{ TF, CFN string }

// isModule reports whether in is HCL (a module directory or a .tf file).
func isModule(in Input) bool {
	return len(in.Files) > 0 || strings.HasSuffix(in.Path, ".tf")
}

// Load reads and maps both documents. Errors are *inventory.Error (with the
// path and the reason) for documents that cannot be read.
func Load(tf, cf Input) (tfSet, cfSet *entity.Set, err error) {
	return LoadWith(tf, cf, Options{})
}

// LoadWith is Load with the inputs of hand-written documents.
func LoadWith(tf, cf Input, opts Options) (tfSet, cfSet *entity.Set, err error) {
	if !isModule(tf) && (len(opts.TFVars) > 0 || len(opts.TFVarFiles) > 0) {
		return nil, nil, fmt.Errorf("%s: --tf-var and --tf-var-file apply to .tf modules only", tf.Path)
	}
	// The two sides share nothing until they are compared: read and map
	// them at the same time.
	var cfErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		cdoc, err := cfn.ReadWith(cf.Path, cf.Data, opts.CFNParams)
		if err != nil {
			cfErr = err
			return
		}
		if cfSet, err = entity.FromCloudFormation(cdoc); err != nil {
			cfErr = fmt.Errorf("%s: %w", cf.Path, err)
		}
	}()
	tfSet, err = loadTerraform(tf, opts)
	<-done
	if err != nil {
		return nil, nil, err
	}
	if cfErr != nil {
		return nil, nil, cfErr
	}
	if opts.Region != "" {
		// The region decides the partition too: arn:${AWS::Partition}:...
		// in a template deployed to us-east-1 is arn:aws:...
		for _, s := range []*entity.Set{tfSet, cfSet} {
			s.Resolve("{region}", opts.Region)
			s.Resolve("{partition}", partitionOf(opts.Region))
		}
	}
	return tfSet, cfSet, nil
}

// partitionOf is the AWS partition of a region, by the region name's
// prefix (cn-north-1 is aws-cn, us-gov-west-1 aws-us-gov).
func partitionOf(region string) string {
	for _, p := range []struct{ prefix, partition string }{
		{"cn-", "aws-cn"}, {"us-gov-", "aws-us-gov"}, {"us-isob-", "aws-iso-b"}, {"us-isof-", "aws-iso-f"},
		{"eu-isoe-", "aws-iso-e"}, {"us-iso-", "aws-iso"}, {"eusc-", "aws-eusc"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

func loadTerraform(tf Input, opts Options) (*entity.Set, error) {
	var tdoc *inventory.Document
	var err error
	if isModule(tf) {
		files := tf.Files
		if len(files) == 0 {
			files = []Input{tf}
		}
		hf := make([]tfhcl.File, len(files))
		for i, f := range files {
			hf[i] = tfhcl.File{Path: f.Path, Data: f.Data}
		}
		vf := make([]tfhcl.File, len(opts.TFVarFiles))
		for i, f := range opts.TFVarFiles {
			vf[i] = tfhcl.File{Path: f.Path, Data: f.Data}
		}
		tdoc, err = tfhcl.Read(tf.Path, hf, tfhcl.Options{Vars: opts.TFVars, VarFiles: vf, ReadFile: opts.ReadFile})
	} else {
		tdoc, err = tfjson.Read(tf.Path, tf.Data)
	}
	if err != nil {
		return nil, err
	}
	set, err := entity.FromTerraform(tdoc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tf.Path, err)
	}
	return set, nil
}

// Run reads, maps and compares two documents.
func Run(tf, cf Input) (*Report, error) {
	return RunWith(tf, cf, Options{})
}

// RunWith is Run with the inputs of hand-written documents and pins.
func RunWith(tf, cf Input, opts Options) (*Report, error) {
	t, c, err := LoadWith(tf, cf, opts)
	if err != nil {
		return nil, err
	}
	if err := checkPins(t, c, opts.Match); err != nil {
		return nil, err
	}
	return Compare(t, c, opts.Match...), nil
}

// owner returns the entity of s that holds the resource at addr.
func owner(s *entity.Set, addr string) *entity.Entity {
	for _, e := range s.Entities {
		if slices.Contains(e.Sources, addr) {
			return e
		}
	}
	return nil
}

// checkPins rejects a pin that names no compared resource or pairs
// entities of different kinds.
func checkPins(t, c *entity.Set, pins []Pin) error {
	for _, p := range pins {
		te, ce := owner(t, p.TF), owner(c, p.CFN)
		switch {
		case te == nil:
			return fmt.Errorf("--match %s=%s: %s is not a compared Terraform resource", p.TF, p.CFN, p.TF)
		case ce == nil:
			return fmt.Errorf("--match %s=%s: %s is not a compared CloudFormation resource", p.TF, p.CFN, p.CFN)
		case te.Kind != ce.Kind:
			return fmt.Errorf("--match %s=%s: a %s cannot be paired with a %s", p.TF, p.CFN, te.Kind, ce.Kind)
		}
	}
	return nil
}

// Compare pairs the entities of the two sides and compares every property
// of every pair. Keys in the report are Terraform's where the sides differ.
// Pins pair their entities first.
func Compare(tf, cf *entity.Set, pins ...Pin) *Report {
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
		// Pinned pairs first.
		for _, p := range pins {
			for i, t := range ts {
				for j, c := range cs {
					if !tUsed[i] && !cUsed[j] && slices.Contains(t.Sources, p.TF) && slices.Contains(c.Sources, p.CFN) {
						match(i, j)
					}
				}
			}
		}
		// By identity next.
		byKey := map[string]int{}
		for j, c := range cs {
			byKey[c.Key] = j
		}
		for i, t := range ts {
			if j, ok := byKey[t.Key]; ok && !cUsed[j] {
				match(i, j)
			}
		}
		// Outputs whose names differ only in case and separators
		// (CloudFormation allows no underscore: web_ip is WebIp).
		if k == entity.Output {
			byNorm := map[string]int{}
			for j, c := range cs {
				if !cUsed[j] {
					byNorm[normName(c.Key)] = j
				}
			}
			for i, t := range ts {
				if j, ok := byNorm[normName(t.Key)]; ok && !tUsed[i] && !cUsed[j] {
					match(i, j)
				}
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
				it := entityItem(t)
				it.At = tf.Where(t)
				it.Sentence = itemSentence("Terraform", it)
				r.OnlyTerraform = append(r.OnlyTerraform, it)
			}
		}
		for j, c := range cs {
			if !cUsed[j] {
				it := entityItem(c)
				it.At = cf.Where(c)
				it.Sentence = itemSentence("CloudFormation", it)
				r.OnlyCloudFormation = append(r.OnlyCloudFormation, it)
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
			d := Difference{Kind: string(p.t.Kind), Key: p.t.Key, Property: name, Terraform: tv, CloudFormation: cv,
				TerraformAt: tf.Where(p.t), CloudFormationAt: cf.Where(p.c)}
			if p.t.Prop(name).Set || p.c.Prop(name).Set {
				d.Set = true
				d.OnlyTerraform, d.OnlyCloudFormation = setDiff(tv, cv)
			}
			d.Sentence = sentence(d)
			diffs = append(diffs, d)
		}
		if len(diffs) == 0 {
			r.Equal = append(r.Equal, Match{Kind: string(p.t.Kind), Key: p.t.Key, Terraform: p.t.Sources, CloudFormation: p.c.Sources, Properties: len(entity.Properties(p.t.Kind))})
		}
		r.Different = append(r.Different, diffs...)
	}
	// The rules of every kind either side has.
	for _, k := range entity.Kinds() {
		if len(tf.Of(k))+len(cf.Of(k)) == 0 {
			continue
		}
		for _, ru := range entity.Rules(k) {
			r.Rules = append(r.Rules, Rule{Kind: string(k), Property: ru.Property, Rule: ru.Text})
		}
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

// normName folds case and separators: web_ip, WebIp and web-ip are one name.
func normName(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("_", "", "-", "").Replace(s)
}

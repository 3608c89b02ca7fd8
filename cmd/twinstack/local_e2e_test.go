package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/twinstack/twinstack/internal/bench"
	"github.com/twinstack/twinstack/internal/localcloud"
	"github.com/twinstack/twinstack/internal/proc"
	"github.com/twinstack/twinstack/internal/report"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/internal/verify"
)

// requireTools skips (or, with TWINSTACK_REQUIRE_TOOLS=1, fails) when
// something the local cloud needs is missing.
func requireTools(t *testing.T, root string) {
	t.Helper()
	var missing []string
	for _, b := range []string{"moto_server", "terraform", "go"} {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	for _, f := range []string{"node_modules/.bin/cdk", "node_modules/.bin/cdktf", "bin/aws-lambda-rie", "build/lambda.zip", "build/server-linux-amd64"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "local cloud needs " + strings.Join(missing, ", ") + " (make tools build)"
	if os.Getenv("TWINSTACK_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

type cliRun struct {
	t    *testing.T
	root string
}

// run runs the CLI in-process and returns its exit status and output.
func (c cliRun) run(args ...string) (int, string) {
	c.t.Helper()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	code := Main(ctx, append(args, "--dir", c.root), os.Getenv, &out, &out)
	c.t.Logf("$ twinstack %s -> %d\n%s", strings.Join(args, " "), code, out.String())
	return code, out.String()
}

// TestLocalCloudEndToEnd brings both deployments up on moto with two
// instances each, verifies them, sends an image through every path,
// checks consistency and drift detection, and takes everything down again,
// leaving no process and no port behind.
func TestLocalCloudEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("deploys both stacks into moto (minutes); skipped with -short")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	requireTools(t, root)
	l := localcloud.Layout{Root: root}
	if _, err := os.Stat(l.RecordFile()); err == nil {
		t.Skipf("a local cloud is up in %s: take it down first (twinstack local down)", root)
	}
	c := cliRun{t, root}
	t.Cleanup(func() {
		if _, err := os.Stat(l.RecordFile()); err == nil {
			c.run("local", "down")
		}
	})

	if code, out := c.run("local", "up", "--instances", "2"); code != 0 {
		t.Fatalf("local up: exit %d\n%s", code, out)
	}
	rec, err := localcloud.LoadRecord(l.RecordFile())
	if err != nil || rec == nil {
		t.Fatalf("record: %v", err)
	}
	st, err := state.Load(l.StateFile())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("status", func(t *testing.T) {
		if code, out := c.run("local", "status"); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
	for _, dep := range []string{state.Terraform, state.CloudFormation} {
		t.Run("verify "+dep, func(t *testing.T) {
			if code, out := c.run("verify", "--deployment", dep); code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
		})
		for _, via := range []string{localcloud.ViaLambda, localcloud.ViaServer} {
			t.Run("invoke "+dep+" via "+via, func(t *testing.T) {
				code, out := c.run("invoke", "--deployment", dep, "--via", via)
				if code != 0 {
					t.Fatalf("exit %d\n%s", code, out)
				}
				// The object is in this deployment's bucket and the item
				// in its table (invoke reads both back through the API).
				d := st.Deployments[dep]
				want := regexp.MustCompile(`stored: s3://` + regexp.QuoteMeta(d.Bucket) + `/\S+ \(\d+ bytes, image/png\) and item \S+ in ` + regexp.QuoteMeta(d.ImagesTable))
				if !want.MatchString(out) {
					t.Fatalf("output does not show the stored object and item:\n%s", out)
				}
			})
		}
		t.Run("consistency "+dep, func(t *testing.T) {
			if code, out := c.run("consistency", "--deployment", dep); code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
		})
	}

	// The benchmark on the real local cloud: 5 s at 2 requests/s through
	// each deployment (interleaved) and each path.
	for _, via := range []string{localcloud.ViaLambda, localcloud.ViaServer} {
		t.Run("bench via "+via, func(t *testing.T) {
			benchEndToEnd(t, root, st, via)
		})
	}

	t.Run("verify detects drift", func(t *testing.T) {
		ctx := context.Background()
		cfg, err := verify.AWSConfig(ctx, st.Region, st.Emulator.Endpoint, false)
		if err != nil {
			t.Fatal(err)
		}
		s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
		ec2c := ec2.NewFromConfig(cfg)
		d := st.Deployments[state.Terraform]
		sgs, err := ec2c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{d.Prefix + "-server"}}}})
		if err != nil || len(sgs.SecurityGroups) != 1 {
			t.Fatalf("server group: %v", err)
		}
		sg := sgs.SecurityGroups[0].GroupId
		open := []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}
		if _, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(d.Bucket), VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusSuspended}}); err != nil {
			t.Fatal(err)
		}
		if _, err := ec2c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg, IpPermissions: open}); err != nil {
			t.Fatal(err)
		}
		code, out := c.run("verify", "--deployment", state.Terraform)
		if code != 1 {
			t.Errorf("verify after drift: exit %d, want 1", code)
		}
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`(?m)^different\s+bucket\.versioning\s+want Enabled, got Suspended`),
			regexp.MustCompile(`(?m)^different\s+sg\.ServerSecurityGroup\.ingress\.nothing-else\s+.*tcp 22 from 0\.0\.0\.0/0`),
		} {
			if !want.MatchString(out) {
				t.Errorf("verify output does not match %s", want)
			}
		}
		// Put things back for the rest of the run.
		s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(d.Bucket), VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
		ec2c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sg, IpPermissions: open})
	})

	if code, out := c.run("local", "down"); code != 0 {
		t.Fatalf("local down: exit %d\n%s", code, out)
	}
	for _, p := range rec.Processes {
		if proc.Alive(p.Ref) {
			t.Errorf("%s (pid %d) still runs after local down", p.Name, p.PID)
		}
		if p.Port != 0 && proc.Listening(p.Port) {
			t.Errorf("port %d (%s) still answers after local down", p.Port, p.Name)
		}
	}
	for _, f := range []string{l.RecordFile(), l.StateFile()} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s left behind", f)
		}
	}
	if tm, err := state.LoadTimings(l.TimingsFile()); err == nil {
		for n, x := range tm {
			t.Logf("%s: synth %.1fs, deploy %.1fs, destroy %.1fs", n, x.SynthSeconds, x.DeploySeconds, x.DestroySeconds)
		}
	}
}

// benchEndToEnd runs `twinstack bench` against both deployments and checks
// what issue 8 asks: rate × duration requests each (± 1), all successful,
// every image in the right deployment's bucket and table, parseable files,
// and results.json's percentiles equal to those recomputed from
// requests.csv.
func benchEndToEnd(t *testing.T, root string, st *state.State, via string) {
	out := t.TempDir()
	var buf bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code := Main(ctx, []string{"bench", "--deployment", "both", "--via", via, "--rate", "2", "--duration", "5s",
		"--state", filepath.Join(root, ".twinstack", "state.json"), "--out", out}, os.Getenv, &buf, &buf)
	t.Logf("$ twinstack bench --via %s -> %d\n%s", via, code, buf.String())
	if code != 0 {
		t.Fatalf("bench exit %d", code)
	}
	f, err := os.Open(filepath.Join(out, report.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := report.ReadCSV(f)
	if err != nil {
		t.Fatalf("requests.csv: %v", err)
	}
	var res report.Results
	b, err := os.ReadFile(filepath.Join(out, report.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	for _, name := range []string{report.MarkdownFile, report.HTMLFile} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s missing or empty: %v", name, err)
		}
	}
	ctxAWS := context.Background()
	cfg, err := verify.AWSConfig(ctxAWS, st.Region, st.Emulator.Endpoint, false)
	if err != nil {
		t.Fatal(err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ddb := dynamodb.NewFromConfig(cfg)
	for _, d := range res.Deployments {
		dep := st.Deployments[d.Name]
		var micros []int64
		n := 0
		for _, r := range recs {
			if r.Deployment != d.Name {
				continue
			}
			n++
			micros = append(micros, r.LatencyMicros())
			if !r.OK {
				t.Errorf("%s request %d failed: %d %s %s", d.Name, r.Seq, r.Status, r.Code, r.Error)
				continue
			}
			if r.Bucket != dep.Bucket {
				t.Errorf("%s request %d stored in bucket %q, want %q", d.Name, r.Seq, r.Bucket, dep.Bucket)
				continue
			}
			if _, err := s3c.HeadObject(ctxAWS, &s3.HeadObjectInput{Bucket: aws.String(r.Bucket), Key: aws.String(r.Key)}); err != nil {
				t.Errorf("%s: object %s not in %s: %v", d.Name, r.Key, r.Bucket, err)
			}
			item, err := ddb.GetItem(ctxAWS, &dynamodb.GetItemInput{TableName: aws.String(dep.ImagesTable),
				Key: map[string]ddbtypes.AttributeValue{"image_id": &ddbtypes.AttributeValueMemberS{Value: r.ImageID}}})
			if err != nil || len(item.Item) == 0 {
				t.Errorf("%s: item %s not in %s: %v", d.Name, r.ImageID, dep.ImagesTable, err)
			}
		}
		if n < 9 || n > 11 {
			t.Errorf("%s: %d requests, want 2/s × 5 s = 10 (± 1)", d.Name, n)
		}
		if d.Summary.Sent != n {
			t.Errorf("%s: results.json says %d sent, requests.csv has %d", d.Name, d.Summary.Sent, n)
		}
		got := bench.LatencyOf(micros)
		if diff := cmp.Diff(got, d.Summary.Latency, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
			t.Errorf("%s: percentiles in results.json differ from requests.csv (-csv +json):\n%s", d.Name, diff)
		}
	}
	if len(res.Deployments) != 2 {
		t.Errorf("results.json has %d deployments, want 2", len(res.Deployments))
	}
}

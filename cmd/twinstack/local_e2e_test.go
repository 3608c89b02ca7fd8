package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/bench"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/localcloud"
	"github.com/twinstack/twinstack/internal/localcloud/servergroup"
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

// e2eProject is the project an end-to-end test deploys from, with its
// tools checked; the test is skipped with -short (what says why it is
// long) or while a local cloud of the user's is up there.
func e2eProject(t *testing.T, what string) (string, localcloud.Layout) {
	t.Helper()
	if testing.Short() {
		t.Skip(what + "; skipped with -short")
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
	return root, l
}

type cliRun struct {
	t    *testing.T
	root string
}

// run runs the CLI in-process and returns its exit status and output. It
// logs one line per command; the whole output is logged only if the test
// fails, after the failures themselves, so that a CI excerpt (the start
// and the end of the log) shows what failed rather than pages of progress.
func (c cliRun) run(args ...string) (int, string) {
	c.t.Helper()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	code := Main(ctx, append(args, "--dir", c.root), os.Getenv, &out, &out)
	cmd := fmt.Sprintf("$ twinstack %s -> %d", strings.Join(args, " "), code)
	c.t.Logf("%s (%d lines of output, logged at the end if the test fails)", cmd, strings.Count(out.String(), "\n"))
	text := out.String()
	c.t.Cleanup(func() {
		if c.t.Failed() {
			c.t.Logf("%s\n%s", cmd, text)
		}
	})
	return code, text
}

// TestLocalCloudEndToEnd brings both deployments up on moto with two
// instances each, verifies them, sends an image through every path,
// checks consistency and drift detection, and takes everything down again,
// leaving no process and no port behind.
func TestLocalCloudEndToEnd(t *testing.T) {
	root, l := e2eProject(t, "deploys both stacks into moto (minutes)")
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
	// What moto does not do with the group is measured by local up and
	// recorded as the deployment's emulator gaps: the instance refresh a
	// launch-template change starts (500) and the alarms target tracking
	// acts through (none).
	t.Run("server group observations", func(t *testing.T) {
		for _, dep := range []string{state.Terraform, state.CloudFormation} {
			d := st.Deployments[dep]
			if d == nil {
				t.Fatalf("no %s deployment in the state", dep)
			}
			for _, want := range []string{"instance refresh", "scaling policy alarms"} {
				if !slices.ContainsFunc(d.Gaps, func(g state.Gap) bool { return g.Property == want && g.Detail != "" }) {
					t.Errorf("%s: no emulator gap %q recorded: %+v", dep, want, d.Gaps)
				}
			}
		}
	})
	for _, dep := range []string{state.Terraform, state.CloudFormation} {
		t.Run("verify "+dep, func(t *testing.T) {
			code, rep := verifyJSON(t, c, dep)
			// After local up (patches on) nothing differs; what moto cannot
			// hold is unverified (exit 3), never drift.
			if code != 0 && code != 3 {
				t.Fatalf("exit %d, want 0 or 3: %+v", code, rep.Summary)
			}
			s := rep.Summary
			if s.Drift+s.Missing+s.Error != 0 || s.OK+s.Patched+s.Unverified != s.Total || s.Total < 90 {
				t.Errorf("summary %+v", s)
			}
			if (code == 3) != (s.Unverified > 0) {
				t.Errorf("exit %d with %d unverified", code, s.Unverified)
			}
			for _, f := range rep.GapFile {
				t.Errorf("emulator-gaps.json entry %s is %s: %s", f.ID, f.Kind, f.Detail)
			}
			_, text := c.run("verify", "--deployment", dep)
			if !strings.Contains(text, rep.Verdict()) {
				t.Errorf("text output lacks the summary %q", rep.Verdict())
			}
			t.Logf("%s", rep.Verdict())
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

	// Drift on both deployments, several of it on properties that have
	// emulator gap entries (CloudFormation): verify must name each one.
	for _, dep := range []string{state.Terraform, state.CloudFormation} {
		t.Run("verify detects drift on "+dep, func(t *testing.T) {
			verifyDetectsDrift(t, c, st, rec, dep)
		})
	}

	// The server group, last (it changes the desired capacity, which
	// verify would report as drift): a server killed during a bench is
	// replaced, and a third instance serves once the group asks for it.
	for _, dep := range []string{state.Terraform, state.CloudFormation} {
		t.Run("server group "+dep, func(t *testing.T) {
			serverGroupEndToEnd(t, c, st, rec, dep)
		})
	}

	code, downOut := c.run("local", "down")
	if code != 0 {
		t.Fatalf("local down: exit %d\n%s", code, downOut)
	}
	// What the stand-ins observed of the emulator is reported by down.
	for _, id := range []string{"no-health-check", servergroup.ObsNotFromTemplate} {
		if !strings.Contains(downOut, "emulator observation of the group stand-in ("+id+", ×") {
			t.Errorf("local down does not report the stand-ins' emulator observation %s:\n%s", id, downOut)
		}
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
	// No server of any stand-in outlives it.
	for _, pid := range serverPIDs {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("server pid %d still runs after local down", pid)
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

// verifyJSON runs `twinstack verify --format json` and decodes its report.
func verifyJSON(t *testing.T, c cliRun, dep string) (int, *verify.Report) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code := Main(ctx, []string{"verify", "--deployment", dep, "--format", "json", "--dir", c.root}, os.Getenv, &out, &errOut)
	var rep verify.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("verify --format json: exit %d, not one JSON object: %v\n%s\n%s", code, err, out.String(), errOut.String())
	}
	return code, &rep
}

// verifyDetectsDrift changes six properties of a deployment behind its
// back, checks that verify exits 1 and names each as drift, and puts
// everything back.
func verifyDetectsDrift(t *testing.T, c cliRun, st *state.State, rec *localcloud.Record, dep string) {
	ctx := context.Background()
	cfg, err := verify.AWSConfig(ctx, st.Region, st.Emulator.Endpoint, false)
	if err != nil {
		t.Fatal(err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ec2c := ec2.NewFromConfig(cfg)
	iamc := iam.NewFromConfig(cfg)
	lc := lambda.NewFromConfig(cfg)
	d := st.Deployments[dep]
	conf, err := config.Load(nil, localcloud.Overlay(rec.Deployments[dep].Env, os.Getenv))
	if err != nil {
		t.Fatal(err)
	}
	sys, err := constructs.New(conf.System)
	if err != nil {
		t.Fatal(err)
	}
	server := sys.Group(sys.Servers.Template.Group)
	role := sys.Role(sys.Servers.Template.Role)
	sgs, err := ec2c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{server.Name}}}})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Fatalf("server group %s: %v", server.Name, err)
	}
	sg := sgs.SecurityGroups[0].GroupId
	// One of the server group's instances.
	grp, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{d.ServerGroup}})
	if err != nil || len(grp.AutoScalingGroups) != 1 || len(grp.AutoScalingGroups[0].Instances) == 0 {
		t.Fatalf("instances of server group %s: %v", d.ServerGroup, err)
	}
	instance := aws.ToString(grp.AutoScalingGroups[0].Instances[0].InstanceId)
	fn, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(d.Outputs["FunctionName"])})
	if err != nil {
		t.Fatal(err)
	}
	envVar := sys.Function.Environment[0].Name
	env := map[string]string{}
	for k, v := range fn.Environment.Variables {
		env[k] = v
	}
	changed := map[string]string{}
	for k, v := range env {
		changed[k] = v
	}
	changed[envVar] = "http://drifted.invalid"
	open := []ec2types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	yes, no := aws.Bool(true), aws.Bool(false)
	pab := func(policy *bool) *s3types.PublicAccessBlockConfiguration {
		return &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: yes, BlockPublicPolicy: policy, IgnorePublicAcls: yes, RestrictPublicBuckets: yes}
	}
	must := func(what string, _ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	o1, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(d.Bucket), VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusSuspended}})
	must("suspend versioning", o1, err)
	o2, err := iamc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role.Name), PolicyArn: aws.String(admin)})
	must("attach AdministratorAccess", o2, err)
	o3, err := ec2c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: sg, IpPermissions: open})
	must("open ssh to the world", o3, err)
	o4, err := ec2c.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: aws.String(instance), HttpTokens: ec2types.HttpTokensStateOptional})
	must("make IMDSv2 optional", o4, err)
	o5, err := s3c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(d.Bucket), PublicAccessBlockConfiguration: pab(no)})
	must("relax the public-access block", o5, err)
	o6, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: fn.FunctionName, Environment: &lambdatypes.Environment{Variables: changed}})
	must("change a Lambda variable", o6, err)
	t.Cleanup(func() {
		s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(d.Bucket), VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
		iamc.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(role.Name), PolicyArn: aws.String(admin)})
		ec2c.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sg, IpPermissions: open})
		ec2c.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{InstanceId: aws.String(instance), HttpTokens: ec2types.HttpTokensStateRequired})
		s3c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(d.Bucket), PublicAccessBlockConfiguration: pab(yes)})
		lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: fn.FunctionName, Environment: &lambdatypes.Environment{Variables: env}})
	})
	// Each drift, by check id, with the value verify must read back.
	want := map[string]string{
		"bucket.versioning":                                   "Suspended",
		"role." + string(role.ID) + ".managed-policies":       admin,
		"sg." + string(server.ID) + ".ingress.nothing-else":   "also tcp 22 from 0.0.0.0/0",
		"asg." + string(sys.Servers.ID) + ".instances.imdsv2": "optional",
		"bucket.public-access-block.BlockPublicPolicy":        "false",
		"function.environment." + envVar:                      "http://drifted.invalid",
	}
	code, rep := verifyJSON(t, c, dep)
	if code != 1 {
		t.Errorf("verify after drift: exit %d, want 1", code)
	}
	got := resultsByID(rep)
	for id, value := range want {
		x, ok := got[id]
		switch {
		case !ok:
			t.Errorf("no check %s", id)
		case x.Status != verify.Drift:
			t.Errorf("%s: %s, want drift (%s)", id, x.Status, verify.Line(x))
		case x.Got == nil || !strings.Contains(*x.Got, value):
			t.Errorf("%s: got %v, want it to show %q", id, x.Got, value)
		}
	}
	// Nothing else differs: six drifts, no missing, no error.
	if s := rep.Summary; s.Drift != len(want) || s.Missing != 0 || s.Error != 0 {
		for _, x := range rep.Failed() {
			t.Log(verify.Line(x))
		}
		t.Errorf("summary %+v, want exactly %d drifts", s, len(want))
	}
	if !strings.Contains(rep.Verdict(), "6 drift (") {
		t.Errorf("verdict %q", rep.Verdict())
	}
}

// serverPIDs are the server processes the server group tests saw, for the
// check after local down.
var serverPIDs []int

// serverGroupEndToEnd is issue 17's acceptance on the local cloud, for one
// deployment: during a 2 req/s bench through the load balancer, one
// server process is killed with SIGKILL; the stand-in replaces it (a new
// instance of the group, serving through the balancer) and the bench loses
// no request beyond those in flight on the killed server, as the balancer
// counted them. Then the group's desired capacity goes from 2 to 3 through
// the Auto Scaling API, and the third instance's server answers through
// the balancer. Both new instances are made what the launch template says
// by the stand-in (moto launches them with its own metadata options and
// no instance profile): verify finds every instance's IMDSv2, hop limit
// and instance profile as the model says.
func serverGroupEndToEnd(t *testing.T, c cliRun, st *state.State, rec *localcloud.Record, dep string) {
	root := c.root
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := st.Deployments[dep]
	if d.ServerGroup == "" || d.LoadBalancerURL == "" {
		t.Fatalf("the state has no server group or load balancer for %s: %+v", dep, d)
	}
	status := func() servergroup.Status {
		t.Helper()
		s, err := localcloud.GroupStatus(ctx, d.LoadBalancerURL)
		if err != nil {
			t.Fatalf("group status: %v", err)
		}
		return s
	}
	inService := func() []string {
		var ids []string
		for _, x := range status().InService() {
			ids = append(ids, x.InstanceID)
		}
		return ids
	}
	waitUntil := func(what string, limit time.Duration, cond func() bool) time.Duration {
		t.Helper()
		t0 := time.Now()
		for !cond() {
			if time.Since(t0) > limit {
				t.Fatalf("%s: not after %v; status %+v", what, limit, status())
			}
			time.Sleep(100 * time.Millisecond)
		}
		return time.Since(t0)
	}
	// answeredBy asks the balancer up to n times and returns the instance
	// ids that answered (X-Instance-Id).
	answeredBy := func(n int) map[string]int {
		t.Helper()
		got := map[string]int{}
		for range n {
			resp, err := http.Get(d.LoadBalancerURL + "/albums")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET /albums through the balancer: %d", resp.StatusCode)
			}
			got[resp.Header.Get("X-Instance-Id")]++
		}
		return got
	}
	cfg, err := verify.AWSConfig(ctx, st.Region, st.Emulator.Endpoint, false)
	if err != nil {
		t.Fatal(err)
	}
	asc := autoscaling.NewFromConfig(cfg)
	groupIDs := func() []string {
		t.Helper()
		o, err := asc.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{d.ServerGroup}})
		if err != nil || len(o.AutoScalingGroups) != 1 {
			t.Fatalf("describe group %s: %v", d.ServerGroup, err)
		}
		var ids []string
		for _, in := range o.AutoScalingGroups[0].Instances {
			if in.LifecycleState == astypes.LifecycleStateInService {
				ids = append(ids, aws.ToString(in.InstanceId))
			}
		}
		slices.Sort(ids)
		return ids
	}

	// One server per instance of the group, each answering through the
	// balancer under its instance id.
	before := inService()
	if want := groupIDs(); !slices.Equal(before, want) || len(want) != 2 {
		t.Fatalf("servers %v, want one per InService instance of the group %v", before, want)
	}
	for _, x := range status().Targets {
		serverPIDs = append(serverPIDs, x.PID)
	}
	if got := answeredBy(4); got[before[0]] == 0 || got[before[1]] == 0 {
		t.Fatalf("the balancer's answers came from %v, want both of %v", got, before)
	}

	// A 2 req/s bench (6 s) through the balancer; one server is killed
	// 2.5 s in, on the bench's 0.5 s schedule (give or take its start-up),
	// so that a request may well be in flight on it.
	out := t.TempDir()
	benchDone := make(chan int, 1)
	var benchOut bytes.Buffer
	go func() {
		benchDone <- Main(ctx, []string{"bench", "--deployment", dep, "--via", "server", "--rate", "2", "--duration", "6s",
			"--state", filepath.Join(root, ".twinstack", "state.json"), "--out", out}, os.Getenv, &benchOut, &benchOut)
	}()
	time.Sleep(2500 * time.Millisecond)
	victim := status().Targets[0]
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s (pid %d): %v", victim.InstanceID, victim.PID, err)
	}
	replaceTime := waitUntil("the killed server replaced by a new instance's", 30*time.Second, func() bool {
		ids := inService()
		return len(ids) == 2 && !slices.Contains(ids, victim.InstanceID)
	})
	// Exit 1: some request failed, which is allowed up to the requests
	// that were in flight on the killed server (below).
	benchCode := <-benchDone
	if benchCode != 0 && benchCode != 1 {
		t.Fatalf("bench exit %d\n%s", benchCode, benchOut.String())
	}
	f, err := os.Open(filepath.Join(out, report.RequestsFile))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := report.ReadCSV(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range recs {
		if !r.OK {
			failed++
			t.Logf("failed request %d: %d %s %s", r.Seq, r.Status, r.Code, r.Error)
		}
	}
	after := status()
	var lost, refused int64 = -1, 0
	for _, g := range after.Gone {
		if g.InstanceID == victim.InstanceID {
			if g.State != servergroup.StateReplaced {
				t.Errorf("the killed server's instance is %s, want %s", g.State, servergroup.StateReplaced)
			}
			lost, refused = g.Lost, g.Refused
		}
	}
	if lost < 0 {
		t.Fatalf("the killed server %s is not in the stand-in's status: %+v", victim.InstanceID, after.Gone)
	}
	t.Logf("%s: killed %s (pid %d, %d requests in flight just before) %.1fs into a %d-request bench; replaced in %v; %d requests failed, %d were in flight on it when it died, %d refused by it were sent to another server",
		dep, victim.InstanceID, victim.PID, victim.InFlight, 2.5, len(recs), replaceTime.Round(10*time.Millisecond), failed, lost, refused)
	if int64(failed) > lost {
		t.Errorf("%d bench requests failed, more than the %d in flight on the killed server\n%s", failed, lost, benchOut.String())
	}
	if (benchCode == 1) != (failed > 0) {
		t.Errorf("bench exit %d with %d failed requests", benchCode, failed)
	}
	if len(recs) < 11 || len(recs) > 13 {
		t.Errorf("%d requests, want 2/s × 6 s = 12 (± 1)", len(recs))
	}
	replacement := slices.DeleteFunc(inService(), func(id string) bool { return slices.Contains(before, id) })
	if len(replacement) != 1 {
		t.Fatalf("new servers %v, want one", replacement)
	}
	if ids := groupIDs(); slices.Contains(ids, victim.InstanceID) || !slices.Contains(ids, replacement[0]) {
		t.Errorf("the group holds %v: want %s replaced by %s", ids, victim.InstanceID, replacement[0])
	}
	for _, x := range after.Targets {
		if x.InstanceID == replacement[0] && x.Requests == 0 {
			t.Errorf("the replacement %s served none of the bench's requests after it came", x.InstanceID)
		}
		serverPIDs = append(serverPIDs, x.PID)
	}
	if got := answeredBy(4); got[replacement[0]] == 0 {
		t.Errorf("the replacement %s does not answer through the balancer: %v", replacement[0], got)
	}
	for _, o := range after.Observations {
		t.Logf("emulator observation %s (%d): %s", o.ID, o.Count, o.Detail)
	}
	if !slices.ContainsFunc(after.Observations, func(o servergroup.Observation) bool { return o.ID == "no-health-check" }) {
		t.Errorf("the replacement is not reported as an emulator observation: %+v", after.Observations)
	}

	// Desired capacity 2 -> 3: a third instance, whose server answers
	// through the balancer.
	two := inService()
	t0 := time.Now()
	if _, err := asc.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(d.ServerGroup), DesiredCapacity: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	waitUntil("a third server in service", 30*time.Second, func() bool { return len(inService()) == 3 })
	third := slices.DeleteFunc(inService(), func(id string) bool { return slices.Contains(two, id) })
	if len(third) != 1 {
		t.Fatalf("new servers %v, want one", third)
	}
	got := answeredBy(6)
	took := time.Since(t0)
	if got[third[0]] == 0 {
		t.Errorf("the third instance %s does not answer through the balancer: %v", third[0], got)
	}
	if ids := groupIDs(); !slices.Contains(ids, third[0]) || len(ids) != 3 {
		t.Errorf("the group holds %v, want 3 with %s", ids, third[0])
	}
	for _, x := range status().Targets {
		serverPIDs = append(serverPIDs, x.PID)
	}
	t.Logf("%s: desired 3: %s serving through the balancer %v after SetDesiredCapacity (answers %v)", dep, third[0], took.Round(10*time.Millisecond), got)

	// The replacement and the third instance, which moto launched
	// without the launch template's metadata options and instance
	// profile, are as the template says: the stand-in made them so (the
	// first two were patched by local up's verify before it started).
	conformed := func() servergroup.Observation {
		for _, o := range status().Observations {
			if o.ID == servergroup.ObsNotFromTemplate {
				return o
			}
		}
		return servergroup.Observation{}
	}
	t0 = time.Now()
	for conformed().Count < 2 && time.Since(t0) < 10*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	o := conformed()
	t.Logf("%s: emulator observation %s (×%d): %s", dep, o.ID, o.Count, o.Detail)
	if o.Count < 2 {
		t.Errorf("the stand-in reported %d instances not as their launch template says, want the replacement and the third", o.Count)
	}
	conf, err := config.Load(nil, localcloud.Overlay(rec.Deployments[dep].Env, os.Getenv))
	if err != nil {
		t.Fatal(err)
	}
	sys, err := constructs.New(conf.System)
	if err != nil {
		t.Fatal(err)
	}
	pre := "asg." + string(sys.Servers.ID) + ".instances."
	checks := []string{pre + "imdsv2", pre + "imds-hop-limit", pre + "profile"}
	t0 = time.Now()
	_, rep := verifyJSON(t, c, dep)
	byID := resultsByID(rep)
	for _, id := range checks {
		x, ok := byID[id]
		switch {
		case !ok:
			t.Errorf("verify has no check %s", id)
		case x.Status != verify.OK && x.Status != verify.Patched:
			t.Errorf("after the replacement and the scale-out: %s", verify.Line(x))
		}
	}
	if x, ok := byID["asg."+string(sys.Servers.ID)+".desired-capacity"]; ok && x.Status == verify.Drift {
		t.Errorf("desired capacity 3 is within min..max: %s", verify.Line(x))
	}
	t.Logf("%s: verify after the kill and the scale-out (%v): %s", dep, time.Since(t0).Round(100*time.Millisecond), rep.Verdict())
}

// resultsByID indexes a verify report's results by check id.
func resultsByID(rep *verify.Report) map[string]verify.Result {
	m := map[string]verify.Result{}
	for _, x := range rep.Results {
		m[x.ID] = x
	}
	return m
}

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/twinstack/twinstack/internal/localcloud"
	"github.com/twinstack/twinstack/internal/proc"
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

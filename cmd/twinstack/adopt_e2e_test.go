package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/twinstack/twinstack/constructs"
	"github.com/twinstack/twinstack/internal/config"
	"github.com/twinstack/twinstack/internal/localcloud"
	"github.com/twinstack/twinstack/internal/moto"
	"github.com/twinstack/twinstack/internal/state"
	"github.com/twinstack/twinstack/internal/toolenv"
	"github.com/twinstack/twinstack/internal/verify"
)

// TestAdoptKeptDataEndToEnd proves the Terraform way out of a stack with
// the data kept, and back, with the real cdktf CLI against moto over
// HTTP: deploy (destroy_data=false), store an object and an item; deploy
// with release_data (the state forgets the bucket, its bucket-level
// resources and the tables, nothing is destroyed); destroy (everything
// else goes, the data stays); deploy with adopt_data (the plan imports
// exactly the retained resources and changes none of them, the apply
// succeeds); the object and the item are still there. Then it cleans up
// so that moto ends empty.
//
// It drives the cdktf CLI itself, with the Terraform deployment's
// environment of the local cloud (localcloud.DeploymentEnv) against its
// own moto_server, rather than `local up`: the handover is about one
// stack's state across deploys, and `local up` always starts from an
// empty emulator and destroys the data. The state is a local file (the
// local cloud's S3 backend is TestTerraformRemoteStateEndToEnd's subject).
func TestAdoptKeptDataEndToEnd(t *testing.T) {
	root, _ := e2eProject(t, "deploys the Terraform stack into moto twice (minutes)")
	// Its own emulator, output directory and state file: it runs beside
	// TestTerraformRemoteStateEndToEnd (mostly waiting on the provider),
	// after the sequential tests.
	t.Parallel()
	m := moto.StartT(t)
	ep := m.Endpoint()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	settings := adoptSettings(ep)
	conf, err := config.Load(nil, localcloud.Overlay(settings, func(string) string { return "" }))
	if err != nil {
		t.Fatal(err)
	}
	sys, err := constructs.New(conf.System)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "cdktf.out")
	d := adoptDeployment{t: t, ctx: ctx, root: root, out: out, stack: conf.StackName, settings: settings}
	awsCfg := moto.AWSConfig(ep)
	s3c, db := moto.S3(ep), moto.DynamoDB(ep)
	const account = "123456789012" // moto's
	bucket := strings.ReplaceAll(sys.Bucket.Name, constructs.AccountToken, account)
	store, err := sys.ArtifactStore()
	if err != nil {
		t.Fatal(err)
	}
	artifacts := strings.ReplaceAll(store.Bucket.Name, constructs.AccountToken, account)
	if len(sys.Retained()) == 0 {
		t.Fatal("the deployment retains nothing: destroy_data is not false")
	}

	// 1. The first deploy.
	d.deployFresh(nil)
	retained := d.retainedAddresses(sys)
	if held := d.state(); !hasAll(held, retained) {
		t.Fatalf("state after the first deploy lacks some of %v: %v", retained, sorted(held))
	}

	// 2. Data a user would not want to lose: an object and an item.
	key, body := "images/kept-by-destroy.txt", "stored before the destroy at "+time.Now().UTC().Format(time.RFC3339Nano)
	itemID := "kept-by-destroy"
	withoutBucketPolicy(t, ctx, s3c, bucket, func() {
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatalf("put object: %v", err)
		}
	})
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(sys.ImagesTable.Name), Item: map[string]ddbtypes.AttributeValue{
		sys.ImagesTable.Partition.Name: &ddbtypes.AttributeValueMemberS{Value: itemID},
		"note":                         &ddbtypes.AttributeValueMemberS{Value: body},
	}}); err != nil {
		t.Fatalf("put item: %v", err)
	}

	// 3. Release: the state forgets the data, nothing is destroyed.
	log := d.deploy(map[string]string{"release-data": "true"})
	for _, a := range retained {
		if !planSays(log, a, "will no longer be managed by Terraform, but will not be destroyed") {
			t.Errorf("release plan does not forget %s", a)
		}
	}
	if p := plan(t, log); p.destroy != 0 || strings.Contains(log, "will be destroyed") {
		t.Errorf("release plan destroys something: %+v\n%s", p, replaced(log))
	}
	held := d.state()
	for _, a := range retained {
		if held[a] {
			t.Errorf("state after the release still holds %s", a)
		}
	}

	// 4. Destroy: everything else goes; the data stays where it is.
	log = d.destroy(map[string]string{"release-data": "true"})
	if held := d.state(); len(held) != 0 {
		t.Errorf("state after destroy holds %v", sorted(held))
	}
	if !hasObject(t, ctx, s3c, bucket, key) {
		t.Fatalf("object s3://%s/%s gone after the destroy\n%s", bucket, key, tail(log, 30))
	}
	for _, tb := range []constructs.Table{sys.ImagesTable, sys.AlbumsTable} {
		if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tb.Name)}); err != nil {
			t.Fatalf("table %s after the destroy: %v", tb.Name, err)
		}
	}
	if it, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sys.ImagesTable.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{sys.ImagesTable.Partition.Name: &ddbtypes.AttributeValueMemberS{Value: itemID}}}); err != nil || len(it.Item) == 0 {
		t.Errorf("item %s after the destroy: %v, %v", itemID, it, err)
	}
	if lbs := loadBalancers(t, ctx, awsCfg); len(lbs) != 0 {
		t.Errorf("load balancers left after the destroy: %v", lbs)
	}

	// 5. Adopt: a new deploy with the same prefix imports the data
	// instead of failing with "already exists".
	log = d.deployFresh(map[string]string{"adopt-data": "true"})
	p := plan(t, log)
	if p.imports != len(retained) || p.destroy != 0 {
		t.Errorf("adopt plan %+v, want %d imports and nothing destroyed", p, len(retained))
	}
	for _, a := range retained {
		if !planSays(log, a, "will be imported") {
			t.Errorf("adopt plan does not import %s", a)
		}
		// The kept resource is what the configuration describes.
		if planSays(log, a, "will be updated in-place") || planSays(log, a, "must be replaced") {
			t.Errorf("adopt plan changes %s", a)
		}
	}
	if !regexp.MustCompile(`Apply complete! Resources: ` + strconv.Itoa(len(retained)) + ` imported`).MatchString(log) {
		t.Errorf("adopt apply does not report %d imports:\n%s", len(retained), tail(log, 20))
	}
	if held := d.state(); !hasAll(held, retained) {
		t.Errorf("state after the adopting deploy lacks some of %v", retained)
	}

	// 6. The data survived the round trip.
	withoutBucketPolicy(t, ctx, s3c, bucket, func() {
		o, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("get object after adopting: %v", err)
		}
		defer o.Body.Close()
		got, _ := io.ReadAll(o.Body)
		if string(got) != body {
			t.Errorf("object after adopting = %q, want %q", got, body)
		}
	})
	it, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(sys.ImagesTable.Name), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{sys.ImagesTable.Partition.Name: &ddbtypes.AttributeValueMemberS{Value: itemID}}})
	if err != nil {
		t.Fatalf("get item after adopting: %v", err)
	}
	if n, ok := it.Item["note"].(*ddbtypes.AttributeValueMemberS); !ok || n.Value != body {
		t.Errorf("item after adopting = %v", it.Item)
	}

	// 7. Clean up: the data deleted directly (protection off, bucket
	// emptied), then a destroy that now also deletes the adopted bucket
	// and tables, which only works because the state holds them again.
	for _, tb := range []constructs.Table{sys.ImagesTable, sys.AlbumsTable} {
		if _, err := db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(tb.Name), DeletionProtectionEnabled: aws.Bool(false)}); err != nil {
			t.Fatalf("deletion protection of %s: %v", tb.Name, err)
		}
	}
	withoutBucketPolicy(t, ctx, s3c, bucket, func() { emptyBucket(t, ctx, s3c, bucket) })
	d.destroy(nil)
	if held := d.state(); len(held) != 0 {
		t.Errorf("state after the last destroy holds %v", sorted(held))
	}
	assertEmpty(t, ctx, awsCfg, s3c, db, artifacts)
	t.Logf("step times: %s", strings.Join(d.times, ", "))
}

// adoptSettings is the local cloud's Terraform deployment (one server)
// with the data kept on destroy and the state in a local file.
func adoptSettings(endpoint string) map[string]string {
	s := localcloud.DeploymentEnv(state.Terraform, endpoint, 1)
	s[config.EnvName(config.EnvPrefix, "destroy-data")] = "false"
	s[config.EnvName(config.EnvPrefix, "tf-state")] = constructs.StateLocal
	delete(s, config.EnvName(config.EnvPrefix, "tf-state-bucket"))
	return s
}

// adoptDeployment runs the cdktf CLI (and, for the emulator workaround,
// terraform) for one stack in its own output directory.
type adoptDeployment struct {
	t          *testing.T
	ctx        context.Context
	root, out  string
	stack      string
	settings   map[string]string
	times      []string
	tfInitDone bool
}

func (d *adoptDeployment) stackDir() string { return filepath.Join(d.out, "stacks", d.stack) }

// env is the environment of a CLI run: the deployment's TWINSTACK_*
// settings plus extra ones (flag names), the emulator's credentials and
// endpoint, the offline provider mirror and the quiet settings.
func (d *adoptDeployment) env(extra map[string]string) []string {
	m := map[string]string{}
	for k, v := range d.settings {
		m[k] = v
	}
	for k, v := range extra {
		m[config.EnvName(config.EnvPrefix, k)] = v
	}
	ep := m[config.EnvName(config.EnvPrefix, "endpoint")]
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": ep, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"TF_CLI_CONFIG_FILE": filepath.Join(d.root, ".terraformrc"), "TF_IN_AUTOMATION": "1",
		"CI": "true", "FORCE_COLOR": "0",
	} {
		m[k] = v
	}
	for k, v := range toolenv.Quiet() {
		m[k] = v
	}
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, config.EnvPrefix+"_") {
			base = append(base, kv)
		}
	}
	return localcloud.Environ(base, m)
}

// run runs one command and fails the test on an error; it returns the
// command's output and records how long it took.
func (d *adoptDeployment) run(what, dir string, env []string, name string, args ...string) string {
	d.t.Helper()
	start := time.Now()
	b, err := runIn(d.ctx, dir, env, name, args...)
	took := time.Since(start).Round(100 * time.Millisecond)
	d.times = append(d.times, fmt.Sprintf("%s %v", what, took))
	d.t.Logf("%s: %v", what, took)
	if err != nil {
		d.t.Fatalf("%s: %v\n%s", what, err, tail(string(b), 40))
	}
	return string(b)
}

func (d *adoptDeployment) cdktf(what string, extra map[string]string, args ...string) string {
	d.t.Helper()
	return d.run(what, d.root, d.env(extra), filepath.Join(d.root, "node_modules", ".bin", "cdktf"), args...)
}

func (d *adoptDeployment) synth(extra map[string]string) {
	d.t.Helper()
	d.cdktf("synth "+describe(extra), extra, "synth", "--output", d.out)
}

// deployFresh deploys where the artifacts bucket does not exist yet: as
// `local up` does, the server binary is uploaded first (emulator
// workaround upload-binary-first, gap cfn-bucket-policy: moto denies the
// upload under the bucket's DenyInsecureTransport policy, whose Bool
// condition it ignores).
func (d *adoptDeployment) deployFresh(extra map[string]string) string {
	d.t.Helper()
	d.synth(extra)
	env := d.env(extra)
	if !d.tfInitDone {
		d.run("terraform init", d.stackDir(), env, "terraform", "init", "-input=false", "-no-color")
		d.tfInitDone = true
	}
	d.run("emulator workaround upload-binary-first (gap cfn-bucket-policy)", d.stackDir(), env, "terraform", "apply", "-auto-approve", "-input=false", "-no-color", "-target=aws_s3_object.ServerBinary")
	return d.cdktf("deploy "+describe(extra), extra, "deploy", "--auto-approve", "--skip-synth", "--skip-provider-lock", "--output", d.out)
}

// deploy deploys over an existing deployment. Terraform reads the
// server binary back, which moto denies under the artifacts bucket's
// policy: the policy goes first (emulator workaround, as `local up`
// removes it after verify); the deploy puts it back.
func (d *adoptDeployment) deploy(extra map[string]string) string {
	d.t.Helper()
	d.synth(extra)
	d.dropArtifactsPolicy()
	return d.cdktf("deploy "+describe(extra), extra, "deploy", "--auto-approve", "--skip-synth", "--skip-provider-lock", "--output", d.out)
}

func (d *adoptDeployment) destroy(extra map[string]string) string {
	d.t.Helper()
	d.synth(extra)
	d.dropArtifactsPolicy()
	return d.cdktf("destroy "+describe(extra), extra, "destroy", "--auto-approve", "--skip-synth", "--output", d.out)
}

// dropArtifactsPolicy removes the artifacts bucket's policy (emulator
// workaround remove-policies-before-destroy, gap cfn-bucket-policy).
func (d *adoptDeployment) dropArtifactsPolicy() {
	d.t.Helper()
	ep := d.settings[config.EnvName(config.EnvPrefix, "endpoint")]
	c := moto.S3(ep)
	o, err := c.ListBuckets(d.ctx, &s3.ListBucketsInput{})
	if err != nil {
		d.t.Fatal(err)
	}
	for _, b := range o.Buckets {
		if strings.Contains(aws.ToString(b.Name), "-artifacts-") {
			if _, err := c.DeleteBucketPolicy(d.ctx, &s3.DeleteBucketPolicyInput{Bucket: b.Name}); err != nil && verify.APIErrorCode(err) != "NoSuchBucketPolicy" {
				d.t.Fatalf("emulator workaround: policy of %s: %v", aws.ToString(b.Name), err)
			}
		}
	}
}

// state is the managed resources of the stack's local state file.
func (d *adoptDeployment) state() map[string]bool {
	d.t.Helper()
	// The backend path is relative to the stack directory (stacks/cdktf).
	b, err := os.ReadFile(filepath.Join(d.stackDir(), "..", "..", "..", "terraform."+d.stack+".tfstate"))
	if err != nil {
		d.t.Fatalf("state: %v", err)
	}
	var st struct {
		Resources []struct{ Mode, Type, Name string } `json:"resources"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		d.t.Fatalf("state: %v", err)
	}
	held := map[string]bool{}
	for _, r := range st.Resources {
		if r.Mode == "managed" {
			held[r.Type+"."+r.Name] = true
		}
	}
	return held
}

// retainedAddresses are the resources of the synthesized configuration
// that belong to the model's retained nodes (every resource is named
// after its node).
func (d *adoptDeployment) retainedAddresses(sys *constructs.System) []string {
	d.t.Helper()
	b, err := os.ReadFile(filepath.Join(d.stackDir(), "cdk.tf.json"))
	if err != nil {
		d.t.Fatal(err)
	}
	var tf struct {
		Resource map[string]map[string]json.RawMessage `json:"resource"`
	}
	if err := json.Unmarshal(b, &tf); err != nil {
		d.t.Fatal(err)
	}
	var out []string
	for typ, byName := range tf.Resource {
		for name := range byName {
			for _, k := range sys.Retained() {
				if name == string(k.ID) {
					out = append(out, typ+"."+name)
				}
			}
		}
	}
	sort.Strings(out)
	if len(out) < len(sys.Retained()) {
		d.t.Fatalf("the configuration has %v for the retained nodes %v", out, sys.Retained())
	}
	return out
}

// describe names the extra settings of a step.
func describe(extra map[string]string) string {
	if len(extra) == 0 {
		return "(defaults)"
	}
	var s []string
	for k, v := range extra {
		s = append(s, k+"="+v)
	}
	sort.Strings(s)
	return "(" + strings.Join(s, " ") + ")"
}

type planCounts struct{ imports, add, change, destroy int }

var planRE = regexp.MustCompile(`Plan: (?:(\d+) to import, )?(\d+) to add, (\d+) to change, (\d+) to destroy`)

// plan reads the counts of the plan summary in a cdktf log.
func plan(t *testing.T, log string) planCounts {
	t.Helper()
	m := planRE.FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no plan summary in the log:\n%s", tail(log, 30))
	}
	n := func(s string) int { i, _ := strconv.Atoi(s); return i }
	return planCounts{n(m[1]), n(m[2]), n(m[3]), n(m[4])}
}

// planSays reports whether the plan says what about resource addr (cdktf
// adds the construct path in parentheses).
func planSays(log, addr, what string) bool {
	return regexp.MustCompile(`# ` + regexp.QuoteMeta(addr) + `( \([^)]*\))? ` + regexp.QuoteMeta(what)).MatchString(log)
}

func hasAll(held map[string]bool, addrs []string) bool {
	for _, a := range addrs {
		if !held[a] {
			return false
		}
	}
	return true
}

func sorted(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// withoutBucketPolicy runs fn with the bucket's policy removed and puts
// the same policy back: moto denies every object request under
// DenyInsecureTransport (gap cfn-bucket-policy), and the adopting deploy
// must find the policy to import it.
func withoutBucketPolicy(t *testing.T, ctx context.Context, c *s3.Client, bucket string, fn func()) {
	t.Helper()
	p, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("policy of %s: %v", bucket, err)
	}
	if _, err := c.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("emulator workaround: delete the policy of %s: %v", bucket, err)
	}
	defer func() {
		if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: p.Policy}); err != nil {
			t.Fatalf("put the policy of %s back: %v", bucket, err)
		}
	}()
	fn()
}

// hasObject lists the bucket's versions (a bucket-level request moto
// allows under the policy).
func hasObject(t *testing.T, ctx context.Context, c *s3.Client, bucket, key string) bool {
	t.Helper()
	o, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if err != nil {
		t.Fatalf("versions of s3://%s: %v", bucket, err)
	}
	for _, v := range o.Versions {
		if aws.ToString(v.Key) == key && aws.ToBool(v.IsLatest) {
			return true
		}
	}
	return false
}

// emptyBucket deletes every version and delete marker.
func emptyBucket(t *testing.T, ctx context.Context, c *s3.Client, bucket string) {
	t.Helper()
	o, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []s3types.ObjectIdentifier
	for _, v := range o.Versions {
		ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
	}
	for _, v := range o.DeleteMarkers {
		ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
	}
	for _, id := range ids {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: id.Key, VersionId: id.VersionId}); err != nil {
			t.Fatalf("delete %s@%s: %v", aws.ToString(id.Key), aws.ToString(id.VersionId), err)
		}
	}
}

func loadBalancers(t *testing.T, ctx context.Context, cfg aws.Config) []string {
	t.Helper()
	o, err := elb.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, lb := range o.LoadBalancers {
		out = append(out, aws.ToString(lb.LoadBalancerName))
	}
	return out
}

// assertEmpty checks that the emulator holds nothing of the deployment:
// no bucket, table, load balancer, running instance or VPC but moto's
// default one.
func assertEmpty(t *testing.T, ctx context.Context, cfg aws.Config, s3c *s3.Client, db *dynamodb.Client, artifacts string) {
	t.Helper()
	bs, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs.Buckets {
		t.Errorf("bucket %s left (artifacts bucket: %s)", aws.ToString(b.Name), artifacts)
	}
	ts, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ts.TableNames {
		t.Errorf("table %s left", n)
	}
	if lbs := loadBalancers(t, ctx, cfg); len(lbs) != 0 {
		t.Errorf("load balancers left: %v", lbs)
	}
	e := ec2.NewFromConfig(cfg)
	ins, err := e.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ins.Reservations {
		for _, i := range r.Instances {
			t.Errorf("instance %s still runs", aws.ToString(i.InstanceId))
		}
	}
	vpcs, err := e.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vpcs.Vpcs {
		if !aws.ToBool(v.IsDefault) {
			t.Errorf("VPC %s left", aws.ToString(v.VpcId))
		}
	}
	if t.Failed() {
		return
	}
	t.Logf("moto holds no bucket, table, load balancer, running instance or VPC of the deployment")
}

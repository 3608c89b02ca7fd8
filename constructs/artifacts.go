package constructs

import (
	"fmt"
	"strings"
)

// ArtifactStore is where the deployment keeps the artifacts that a role
// reads at run time (the server binary the instances download at boot). The
// model says what the store is and what a reader may do; a renderer says
// where it lives: Terraform renders Bucket as its own private bucket, AWS
// CDK publishes to the bootstrap's asset bucket and renders no bucket.
//
// The store is derived from the system (prefix and region) rather than held
// in a field: it is a node of Walk, like InternetGateway.
type ArtifactStore struct {
	// Bucket is the store as a bucket of its own: private, encrypted,
	// TLS only, and always emptied on destroy (its contents are build
	// output).
	Bucket Bucket
	// Artifacts lists the artifacts uploaded to the store: those a role
	// reads, in Walk order.
	Artifacts []ID
}

// NodeID is the store bucket's ID.
func (n *ArtifactStore) NodeID() ID { return n.Bucket.ID }

// Holds reports whether artifact id is uploaded to the store.
func (n *ArtifactStore) Holds(id ID) bool {
	for _, a := range n.Artifacts {
		if a == id {
			return true
		}
	}
	return false
}

// ArtifactStoreID is the logical ID of the artifact store's bucket.
const ArtifactStoreID ID = "ArtifactsBucket"

// Limits of S3 bucket names and AWS account ids, for names that contain
// AccountToken.
const (
	MaxBucketNameLen = 63
	accountIDLen     = 12
)

// BucketNameLen is the length of bucket name once AccountToken is replaced by
// an account id.
func BucketNameLen(name string) int {
	return len(name) + strings.Count(name, AccountToken)*(accountIDLen-len(AccountToken))
}

// ArtifactStore returns the system's artifact store. It fails when the
// store's bucket name would not fit in an S3 bucket name.
func (s *System) ArtifactStore() (*ArtifactStore, error) {
	b := Bucket{
		ID:                ArtifactStoreID,
		Name:              artifactsBucketName(s.Prefix, s.Region),
		BlockPublicAccess: true,
		Encryption:        "AES256",
		DenyInsecure:      true,
		Removal:           Destroy,
	}
	if n := BucketNameLen(b.Name); n > MaxBucketNameLen {
		return nil, fmt.Errorf("artifacts bucket name %q would be %d characters (S3 allows %d): shorten the prefix", b.Name, n, MaxBucketNameLen)
	}
	b.Policy = []Statement{denyInsecureTransport(b.ID)}
	st := &ArtifactStore{Bucket: b}
	for _, a := range []ID{s.ServerBinary.ID, s.FunctionCode.ID} {
		for _, r := range s.Roles {
			if r.ReadsArtifact != nil && *r.ReadsArtifact == a && !st.Holds(a) {
				st.Artifacts = append(st.Artifacts, a)
			}
		}
	}
	return st, nil
}

// denyInsecureTransport is the bucket policy statement that refuses every
// request not made over TLS.
func denyInsecureTransport(bucket ID) Statement {
	return Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: "*",
		Actions:   []string{"s3:*"},
		Resources: []Value{RefTo(bucket, AttrARN), RefTo(bucket, AttrARN).Wrap("", "/*")},
		Condition: map[string]map[string]string{"Bool": {"aws:SecureTransport": "false"}},
	}
}

// ArtifactRead is the statement granting a role read access to artifact id
// in the store. Resources is empty: the object's ARN is where the renderer
// put it (its own bucket, or the bootstrap's asset bucket).
func ArtifactRead(id ID) Statement {
	return Statement{
		Sid:     "Read" + string(id),
		Effect:  "Allow",
		Actions: []string{"s3:GetObject"},
	}
}

// FetchCommand is the user-data command that downloads the server binary
// from bucket/key (in the renderer's terms, tokens included) next to the
// service's binary path (StagedBinary); user data then moves it into place,
// so that a re-run replaces a running binary in one rename. The store is
// in the system's region.
func (s *System) FetchCommand(bucket, key string) string {
	return "aws s3 cp s3://" + bucket + "/" + key + " " + StagedBinary(s.ServerService.BinaryPath) + " --region " + s.Region
}

// StagedBinary is where user data downloads a new server binary before
// moving it over the one the service runs.
func StagedBinary(binary string) string { return binary + ".new" }

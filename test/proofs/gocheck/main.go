// gocheck: an independent checker of fmwk-ledger's Merkle tree, proofs, signed notes and
// cosignatures, built on Go's golang.org/x/mod/sumdb/{tlog,note} and
// github.com/transparency-dev/formats/note. It reads one JSON job on stdin and prints one JSON
// verdict on stdout. Every field of the job is optional; each produces its own part of the answer.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusionCheck struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Leaf  string   `json:"leaf"` // base64 leaf hash
	Proof []string `json:"proof"`
	Root  string   `json:"root"`
}

type consistencyCheck struct {
	Old     int64    `json:"old"`
	New     int64    `json:"new"`
	Proof   []string `json:"proof"`
	OldRoot string   `json:"oldRoot"`
	NewRoot string   `json:"newRoot"`
}

type noteCheck struct {
	Note         string   `json:"note"`
	VerifierKeys []string `json:"verifierKeys"`
	// CosignerKeys are checked as cosignature/v1 verifiers (transparency-dev/formats).
	CosignerKeys []string `json:"cosignerKeys"`
}

type keyCheck struct {
	Signer   string `json:"signer"`
	Verifier string `json:"verifier"`
}

type signJob struct {
	Name string `json:"name"`
	Text string `json:"text"`
	// Cosign, when set, is a signed note that a Go witness key cosigns (cosignature/v1).
	Cosign string `json:"cosign"`
}

type job struct {
	Leaves      []string           `json:"leaves"` // base64 leaf bytes
	Proofs      bool               `json:"proofs"` // emit Go's own proofs for every size
	Inclusion   []inclusionCheck   `json:"inclusion"`
	Consistency []consistencyCheck `json:"consistency"`
	Notes       []noteCheck        `json:"notes"`
	Keys        []keyCheck         `json:"keys"`
	Sign        []signJob          `json:"sign"`
}

type noteVerdict struct {
	OK       bool     `json:"ok"`
	Error    string   `json:"error,omitempty"`
	Verified []string `json:"verified,omitempty"`
}

type signed struct {
	SignerKey   string `json:"signerKey"`
	VerifierKey string `json:"verifierKey"`
	Note        string `json:"note"`
	// CosignerKey is the cosignature/v1 verifier key of the same key, when Cosign was asked.
	CosignerKey string `json:"cosignerKey,omitempty"`
}

type proofSet struct {
	Size        int64      `json:"size"`
	Inclusion   [][]string `json:"inclusion"`   // by leaf index
	Consistency [][]string `json:"consistency"` // by old size 1..size
}

type result struct {
	Roots       []string      `json:"roots"` // index n-1: root of size n
	Proofs      []proofSet    `json:"proofs,omitempty"`
	Inclusion   []bool        `json:"inclusion"`
	Consistency []bool        `json:"consistency"`
	Notes       []noteVerdict `json:"notes"`
	Keys        []noteVerdict `json:"keys"`
	Signed      []signed      `json:"signed"`
}

type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("stored hash %d not present", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func hashOf(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("bad hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}

func hashesOf(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, err := hashOf(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func die(err error) {
	fmt.Fprintln(os.Stderr, "gocheck:", err)
	os.Exit(2)
}

func main() {
	var j job
	if err := json.NewDecoder(os.Stdin).Decode(&j); err != nil {
		die(err)
	}
	res := result{Roots: []string{}, Inclusion: []bool{}, Consistency: []bool{}, Notes: []noteVerdict{}, Keys: []noteVerdict{}, Signed: []signed{}}

	var stored memHashes
	for n, leaf := range j.Leaves {
		data, err := base64.StdEncoding.DecodeString(leaf)
		if err != nil {
			die(err)
		}
		add, err := tlog.StoredHashes(int64(n), data, stored)
		if err != nil {
			die(err)
		}
		stored = append(stored, add...)
		root, err := tlog.TreeHash(int64(n+1), stored)
		if err != nil {
			die(err)
		}
		res.Roots = append(res.Roots, b64(root))
	}
	if j.Proofs {
		for t := int64(1); t <= int64(len(j.Leaves)); t++ {
			ps := proofSet{Size: t}
			for i := int64(0); i < t; i++ {
				p, err := tlog.ProveRecord(t, i, stored)
				if err != nil {
					die(err)
				}
				ps.Inclusion = append(ps.Inclusion, encodeAll(p))
			}
			for m := int64(1); m <= t; m++ {
				p, err := tlog.ProveTree(t, m, stored)
				if err != nil {
					die(err)
				}
				ps.Consistency = append(ps.Consistency, encodeAll(p))
			}
			res.Proofs = append(res.Proofs, ps)
		}
	}

	for _, c := range j.Inclusion {
		leaf, err1 := hashOf(c.Leaf)
		root, err2 := hashOf(c.Root)
		proof, err3 := hashesOf(c.Proof)
		res.Inclusion = append(res.Inclusion, err1 == nil && err2 == nil && err3 == nil &&
			tlog.CheckRecord(proof, c.Size, root, c.Index, leaf) == nil)
	}
	for _, c := range j.Consistency {
		oldRoot, err1 := hashOf(c.OldRoot)
		newRoot, err2 := hashOf(c.NewRoot)
		proof, err3 := hashesOf(c.Proof)
		res.Consistency = append(res.Consistency, err1 == nil && err2 == nil && err3 == nil &&
			tlog.CheckTree(proof, c.New, newRoot, c.Old, oldRoot) == nil)
	}

	for _, c := range j.Notes {
		var vs []note.Verifier
		var err error
		for _, k := range c.VerifierKeys {
			var v note.Verifier
			if v, err = note.NewVerifier(k); err != nil {
				break
			}
			vs = append(vs, v)
		}
		for _, k := range c.CosignerKeys {
			if err != nil {
				break
			}
			var v note.Verifier
			if v, err = fnote.NewVerifierForCosignatureV1(k); err != nil {
				break
			}
			vs = append(vs, v)
		}
		if err != nil {
			res.Notes = append(res.Notes, noteVerdict{Error: "key: " + err.Error()})
			continue
		}
		n, err := note.Open([]byte(c.Note), note.VerifierList(vs...))
		if err != nil {
			res.Notes = append(res.Notes, noteVerdict{Error: err.Error()})
			continue
		}
		v := noteVerdict{OK: true}
		for _, s := range n.Sigs {
			v.Verified = append(v.Verified, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
		}
		res.Notes = append(res.Notes, v)
	}

	for _, k := range j.Keys {
		v := noteVerdict{OK: true}
		if k.Signer != "" {
			if _, err := note.NewSigner(k.Signer); err != nil {
				v = noteVerdict{Error: err.Error()}
			}
		}
		if v.OK && k.Verifier != "" {
			if _, err := note.NewVerifier(k.Verifier); err != nil {
				v = noteVerdict{Error: err.Error()}
			}
		}
		res.Keys = append(res.Keys, v)
	}

	for _, s := range j.Sign {
		skey, vkey, err := note.GenerateKey(rand.Reader, s.Name)
		if err != nil {
			die(err)
		}
		out := signed{SignerKey: skey, VerifierKey: vkey}
		if s.Cosign != "" {
			cos, err := fnote.NewSignerForCosignatureV1(skey)
			if err != nil {
				die(err)
			}
			if out.CosignerKey, err = fnote.VKeyToCosignatureV1(vkey); err != nil {
				die(err)
			}
			// Keep the existing signature lines as unverified ones; add the cosignature.
			n, err := note.Open([]byte(s.Cosign), note.VerifierList())
			if uerr, ok := err.(*note.UnverifiedNoteError); ok {
				n = uerr.Note
			} else if err != nil {
				die(err)
			}
			msg, err := note.Sign(n, cos)
			if err != nil {
				die(err)
			}
			out.Note = string(msg)
		} else {
			signer, err := note.NewSigner(skey)
			if err != nil {
				die(err)
			}
			msg, err := note.Sign(&note.Note{Text: s.Text}, signer)
			if err != nil {
				die(err)
			}
			out.Note = string(msg)
		}
		res.Signed = append(res.Signed, out)
	}

	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		die(err)
	}
}

func encodeAll(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = b64(h)
	}
	return out
}

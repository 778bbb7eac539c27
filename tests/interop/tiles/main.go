// Command tiles checks a matchledger log served as C2SP tlog-tiles with an implementation
// we did not write: Go's golang.org/x/mod/sumdb/note opens the checkpoint under the
// verifier key, and golang.org/x/mod/sumdb/tlog reads the hash tiles (authenticating each
// against the signed root), recomputes the root, proves random events from their entry
// bundles and proves consistency between random sizes.
//
// Usage: go run main.go PREFIX_URL VERIFIER_KEY PROOFS
//
// It exits 0 after printing what it checked, and 1 naming the first check that failed.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The spec's tile height.
const height = 8

var client = &http.Client{Timeout: 30 * time.Second}

func main() {
	if len(os.Args) != 4 {
		fail("usage: tiles PREFIX_URL VERIFIER_KEY PROOFS")
	}
	prefix, key := strings.TrimSuffix(os.Args[1], "/"), os.Args[2]
	proofs, err := strconv.Atoi(os.Args[3])
	check(err, "PROOFS")

	tree, origin := fetchCheckpoint(prefix, key)
	reader := &tileReader{prefix: prefix}
	hashes := tlog.TileHashReader(tree, reader)

	root, err := tlog.TreeHash(tree.N, hashes)
	check(err, "recomputing the root from the tiles")
	if root != tree.Hash {
		fail("the tiles give root %v, the checkpoint %v", root, tree.Hash)
	}

	random := rand.New(rand.NewSource(tree.N))
	for i := 0; i < proofs; i++ {
		index := random.Int63n(tree.N)
		if i == 0 {
			index = tree.N - 1 // the newest event, in the rightmost partial bundle
		}
		proof, err := tlog.ProveRecord(tree.N, index, hashes)
		check(err, fmt.Sprintf("proving event %d", index+1))
		entry := fetchEntry(reader, index)
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(entry)); err != nil {
			fail("event %d does not verify in the tree of %d: %v", index+1, tree.N, err)
		}
	}
	for i := 0; i < proofs; i++ {
		old := 1 + random.Int63n(tree.N)
		oldRoot, err := tlog.TreeHash(old, hashes)
		check(err, fmt.Sprintf("root at size %d", old))
		proof, err := tlog.ProveTree(tree.N, old, hashes)
		check(err, fmt.Sprintf("consistency %d -> %d", old, tree.N))
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, old, oldRoot); err != nil {
			fail("the tree of %d is not a prefix of the tree of %d: %v", old, tree.N, err)
		}
	}
	fmt.Printf("ok: %s at size %d, root %v; %d inclusion and %d consistency proofs; %d tiles fetched (%d full, %d partial)\n",
		origin, tree.N, tree.Hash, proofs, proofs, reader.fetched, reader.full, reader.fetched-reader.full)
}

// fetchCheckpoint opens the signed checkpoint with the verifier key and parses its body:
// origin, size, base64 root, then extension lines.
func fetchCheckpoint(prefix, key string) (tlog.Tree, string) {
	verifier, err := note.NewVerifier(key)
	check(err, "the verifier key")
	body, header := get(prefix + "/checkpoint")
	if cache := header.Get("Cache-Control"); !strings.Contains(cache, "no-store") {
		fail("the checkpoint may be cached (Cache-Control %q)", cache)
	}
	signed, err := note.Open(body, note.VerifierList(verifier))
	check(err, "opening the checkpoint note")
	lines := strings.SplitN(signed.Text, "\n", 4)
	if len(lines) < 4 {
		fail("the checkpoint has fewer than three lines: %q", signed.Text)
	}
	if lines[0] != verifier.Name() {
		fail("the checkpoint's origin %q is not the key's name %q", lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	check(err, "the checkpoint's size")
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	check(err, "the checkpoint's root")
	if len(rootBytes) != tlog.HashSize {
		fail("the checkpoint's root has %d bytes", len(rootBytes))
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	if size < 2 {
		fail("the log has %d events; the check needs at least 2", size)
	}
	return tlog.Tree{N: size, Hash: root}, lines[0]
}

// fetchEntry returns the stored bytes of event index+1 from its entry bundle.
func fetchEntry(reader *tileReader, index int64) []byte {
	tile := tlog.TileForIndex(height, tlog.StoredHashIndex(0, index))
	tile.L = -1 // the entries themselves
	data, err := reader.ReadTiles([]tlog.Tile{tile})
	check(err, "reading an entry bundle")
	entries := splitBundle(data[0], tile.W)
	return entries[index-tile.N<<height]
}

// splitBundle splits an entry bundle into its big-endian u16 length-prefixed entries.
func splitBundle(bundle []byte, count int) [][]byte {
	var entries [][]byte
	for len(bundle) > 0 {
		if len(bundle) < 2 {
			fail("an entry bundle ends inside a length prefix")
		}
		length := int(binary.BigEndian.Uint16(bundle))
		if len(bundle) < 2+length {
			fail("an entry bundle ends inside an entry")
		}
		entries = append(entries, bundle[2:2+length])
		bundle = bundle[2+length:]
	}
	if len(entries) != count {
		fail("an entry bundle holds %d entries, not %d", len(entries), count)
	}
	return entries
}

// tileReader fetches tiles by their C2SP paths and checks the spec's cache headers.
type tileReader struct {
	prefix        string
	fetched, full int
}

func (r *tileReader) Height() int { return height }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	for i, tile := range tiles {
		body, header := get(r.prefix + "/" + c2spPath(tile))
		immutable := strings.Contains(header.Get("Cache-Control"), "immutable")
		if tile.W == 1<<height {
			r.full++
			if !immutable {
				fail("full tile %s is not immutable", c2spPath(tile))
			}
		} else if immutable {
			fail("partial tile %s is marked immutable", c2spPath(tile))
		}
		r.fetched++
		data[i] = body
	}
	return data, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// c2spPath turns Go's sumdb path, tile/8/<L>/<N>[.p/<W>] with data tiles at tile/8/data/,
// into the tlog-tiles path, tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>]: the same
// index encoding without the height.
func c2spPath(tile tlog.Tile) string {
	path := strings.TrimPrefix(tile.Path(), fmt.Sprintf("tile/%d/", height))
	if tile.L == -1 {
		path = "entries/" + strings.TrimPrefix(path, "data/")
	}
	return "tile/" + path
}

func get(url string) ([]byte, http.Header) {
	response, err := client.Get(url)
	check(err, "GET "+url)
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	check(err, "reading "+url)
	if response.StatusCode != http.StatusOK {
		fail("GET %s: %s: %s", url, response.Status, body)
	}
	return body, response.Header
}

func check(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}

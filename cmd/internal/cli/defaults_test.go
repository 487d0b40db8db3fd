package cli

import (
	"reflect"
	"testing"

	"github.com/logbus/logbus/broker"
	"github.com/logbus/logbus/filesink"
)

// TestFlagDefaultsAreDefaultConfig: with no flag, no environment and no
// file, the commands configure exactly the packages' DefaultConfig, the
// one source of defaults.
func TestFlagDefaultsAreDefaultConfig(t *testing.T) {
	bfs := BrokerFlagSet()
	if err := bfs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	bv, err := Load(bfs, "config")
	if err != nil {
		t.Fatal(err)
	}
	bc, httpAddr, err := BrokerConfig(bv)
	if err != nil {
		t.Fatal(err)
	}
	bc.HandshakeTimeout = broker.DefaultConfig().HandshakeTimeout  // not a flag
	if len(bc.IngestUsers) == 0 && len(bc.UpstreamPrefixes) == 0 { // empty, as none
		bc.IngestUsers, bc.UpstreamPrefixes = nil, nil
	}
	if want := broker.DefaultConfig(); !reflect.DeepEqual(bc, want) || httpAddr != BrokerHTTP {
		t.Errorf("broker flags give\n %+v %s\nwant\n %+v %s", bc, httpAddr, want, BrokerHTTP)
	}

	sfs := FilesinkFlagSet()
	if err := sfs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	sv, err := Load(sfs, "config")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := FilesinkConfig(sv)
	if err != nil {
		t.Fatal(err)
	}
	if want := filesink.DefaultConfig(); !reflect.DeepEqual(sc, want) {
		t.Errorf("file sink flags give\n %+v\nwant\n %+v", sc, want)
	}
}

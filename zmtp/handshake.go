package zmtp

import (
	"bufio"
	"io"
	"net"
)

// peerInfo is what the handshake learned about a peer.
type peerInfo struct {
	greeting   greeting
	socketType string
	identity   []byte
	username   string
	props      []property // every metadata property, values copied
}

// handshake runs the greeting exchange and the security mechanism on conn.
// The caller sets the deadline. r buffers conn and is kept for the data
// phase, since the peer may pipeline frames right after its last command.
func handshake(conn net.Conn, r *bufio.Reader, cfg *config, t Type) (peerInfo, error) {
	var info peerInfo
	mech := cfg.mechanism()
	asServer := cfg.PlainAuth != nil
	out := appendGreeting(make([]byte, 0, 256), greeting{major: versionMajor, minor: versionMinor, mechanism: mech, asServer: asServer})
	if err := writeAll(conn, out); err != nil {
		return info, err
	}
	var gb [greetingSize]byte
	if _, err := io.ReadFull(r, gb[:signatureSize]); err != nil {
		return info, err
	}
	if err := checkSignature(gb[:signatureSize]); err != nil {
		return info, err
	}
	if _, err := io.ReadFull(r, gb[signatureSize:]); err != nil {
		return info, err
	}
	g, err := parseGreeting(gb[:])
	if err != nil {
		return info, err
	}
	info.greeting = g
	if g.mechanism != mech {
		return info, errorf(ErrMechanism, "peer uses %s, we use %s", g.mechanism, mech)
	}
	meta := appendMetadata(nil, property{"Socket-Type", []byte(t.String())})
	if len(cfg.Identity) > 0 {
		meta = appendMetadata(meta, property{"Identity", cfg.Identity})
	}
	for k, v := range cfg.Properties {
		meta = appendMetadata(meta, property{k, []byte(v)})
	}
	switch {
	case mech == mechNULL:
		err = handshakeNULL(conn, r, t, meta, &info)
	case asServer:
		// Our own configuration decides the PLAIN role: libzmq leaves the
		// greeting's as-server flag zero on both sides, so the flag cannot
		// be relied on.
		err = handshakePlainServer(conn, r, cfg, t, meta, &info)
	default:
		err = handshakePlainClient(conn, r, cfg, t, meta, &info)
	}
	return info, err
}

func handshakeNULL(conn net.Conn, r *bufio.Reader, t Type, meta []byte, info *peerInfo) error {
	if err := writeAll(conn, appendCommand(nil, cmdREADY, meta)); err != nil {
		return err
	}
	c, err := expectCommand(r, cmdREADY)
	if err != nil {
		return err
	}
	return acceptMetadata(conn, t, c.data, info)
}

func handshakePlainClient(conn net.Conn, r *bufio.Reader, cfg *config, t Type, meta []byte, info *peerInfo) error {
	hello := appendCommand(nil, cmdHELLO,
		[]byte{byte(len(cfg.PlainUsername))}, []byte(cfg.PlainUsername),
		[]byte{byte(len(cfg.PlainPassword))}, []byte(cfg.PlainPassword))
	if err := writeAll(conn, hello); err != nil {
		return err
	}
	if _, err := expectCommand(r, cmdWELCOME); err != nil {
		return err
	}
	if err := writeAll(conn, appendCommand(nil, cmdINITIATE, meta)); err != nil {
		return err
	}
	c, err := expectCommand(r, cmdREADY)
	if err != nil {
		return err
	}
	return acceptMetadata(conn, t, c.data, info)
}

func handshakePlainServer(conn net.Conn, r *bufio.Reader, cfg *config, t Type, meta []byte, info *peerInfo) error {
	c, err := expectCommand(r, cmdHELLO)
	if err != nil {
		return err
	}
	user, pass, err := parseHello(c.data)
	if err != nil {
		return err
	}
	if aerr := cfg.PlainAuth(user, pass, conn.RemoteAddr()); aerr != nil {
		// The ERROR is a courtesy to the peer; the refusal stands whether
		// or not it can be written.
		werr := writeAll(conn, appendError(nil, aerr.Error()))
		if werr != nil {
			return errorf(ErrAuth, "user %q: %v (and ERROR not sent: %v)", user, aerr, werr)
		}
		return errorf(ErrAuth, "user %q: %v", user, aerr)
	}
	info.username = user
	if err := writeAll(conn, appendCommand(nil, cmdWELCOME)); err != nil {
		return err
	}
	c, err = expectCommand(r, cmdINITIATE)
	if err != nil {
		return err
	}
	if err := acceptMetadata(conn, t, c.data, info); err != nil {
		return err
	}
	return writeAll(conn, appendCommand(nil, cmdREADY, meta))
}

// acceptMetadata parses the peer's READY/INITIATE metadata and checks its
// socket type, telling an incompatible peer why it is refused.
func acceptMetadata(conn net.Conn, t Type, data []byte, info *peerInfo) error {
	props, err := parseMetadata(data)
	if err != nil {
		return err
	}
	st, ok := lookupProperty(props, "Socket-Type")
	if !ok {
		return errorf(ErrProtocol, "peer metadata lacks Socket-Type")
	}
	info.socketType = string(st)
	info.props = make([]property, len(props))
	for i, p := range props {
		info.props[i] = property{name: p.name, value: append([]byte(nil), p.value...)}
	}
	if id, ok := lookupProperty(props, "Identity"); ok {
		info.identity = append([]byte(nil), id...)
	}
	if !t.compatible(info.socketType) {
		err := errorf(ErrSocketType, "%s cannot talk to %q", t, info.socketType)
		if werr := writeAll(conn, appendError(nil, "Invalid socket type")); werr != nil {
			return errorf(ErrSocketType, "%s cannot talk to %q (and ERROR not sent: %v)", t, info.socketType, werr)
		}
		return err
	}
	return nil
}

// expectCommand reads one command frame and requires it to be name; an
// ERROR from the peer is reported as ErrPeerError (ErrAuth during PLAIN).
func expectCommand(r *bufio.Reader, name string) (command, error) {
	body, err := readCommandFrame(r)
	if err != nil {
		return command{}, err
	}
	c, err := parseCommand(body)
	if err != nil {
		return c, err
	}
	if c.name == cmdERROR {
		if name == cmdWELCOME {
			return c, errorf(ErrAuth, "server refused: %s", parseError(c.data))
		}
		return c, errorf(ErrPeerError, "%s", parseError(c.data))
	}
	if c.name != name {
		return c, errorf(ErrProtocol, "expected %s, got %q", name, c.name)
	}
	return c, nil
}

// readCommandFrame reads one frame that must be a command of bounded size.
func readCommandFrame(r *bufio.Reader) ([]byte, error) {
	var hdr [9]byte
	if _, err := io.ReadFull(r, hdr[:1]); err != nil {
		return nil, err
	}
	n := 1
	if hdr[0]&flagLong != 0 {
		n = 8
	}
	if _, err := io.ReadFull(r, hdr[1:1+n]); err != nil {
		return nil, err
	}
	h, _, err := parseFrameHeader(hdr[:1+n], maxCommandSize)
	if err != nil {
		return nil, err
	}
	if !h.command() {
		return nil, errorf(ErrProtocol, "data frame during handshake")
	}
	body := make([]byte, h.size)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

// writeAll writes b completely.
func writeAll(w io.Writer, b []byte) error {
	_, err := w.Write(b)
	return err
}

#if canImport(Glibc)
import Glibc
#endif
import NftFirewall

// The login failure daemon is the next piece of work (tracked as its own issue). Until then this binary
// says so plainly instead of pretending to run.
let message = "lfd: the login failure daemon is not implemented yet in nftcsf \(NftFirewallVersion.string); csf works without it\n"
_ = message.withCString { write(2, $0, strlen($0)) }
exit(1)

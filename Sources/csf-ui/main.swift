// csf-ui: nftcsf's web service. Today it serves the Prometheus endpoint (METRICS); it runs as UI_RUNAS, never
// as root, and reads what it shows from lfd's local socket.
#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

// Settings are read and root is given up here, synchronously on the main thread, before any task or thread of
// the server exists: a credential change made from a worker thread left the main thread root.
switch UIService.prepare(arguments: Array(CommandLine.arguments.dropFirst())) {
case .exit(let code):
    exit(code)
case .serve(let settings):
    exit(await UIService.serve(settings))
case .messenger(let settings):
    exit(await MessengerService.serve(settings))
}

// csf-ui: nftcsf's web service: the web UI (UI), the Prometheus endpoint (METRICS) and the messenger. It runs as
// UI_RUNAS, never as root; the UI changes the firewall only through its root helper (`--helper`).
#if canImport(Glibc)
import Glibc
#endif
import CsfCompat

// Settings are read, the helper started and root given up here, synchronously on the main thread, before any
// task or thread of the server exists: a credential change made from a worker thread left the main thread root.
switch UIService.prepare(arguments: Array(CommandLine.arguments.dropFirst())) {
case .exit(let code):
    exit(code)
case .serve(let settings):
    exit(await UIService.serve(settings))
case .messenger(let settings):
    exit(await MessengerService.serve(settings))
case .helper(let paths):
    exit(PrivilegedHelper.run(paths: paths))
}

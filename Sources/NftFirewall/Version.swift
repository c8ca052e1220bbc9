public enum NftFirewallVersion { public static let string = "0.1.0" }

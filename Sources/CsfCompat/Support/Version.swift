public enum NftcsfVersion { public static let string = "0.1.0" }

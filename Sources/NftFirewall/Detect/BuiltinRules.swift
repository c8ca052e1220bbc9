/// The login-failure families of csf's lfd (reference §6.6) as data. Every pattern is anchored at the start of
/// the line with the program's fixed prefix, and where attacker-controlled text (user names, helo strings,
/// commands) can sit before the address, the address is taken from the structure the program itself writes
/// last (a greedy group before it), so an injected "from 1.2.3.4" never wins.
public enum BuiltinRules {
    struct Spec {
        var name: String
        var app: String
        var text: String
        var trigger: String
        var logKeys: [String]
        var literals: [String]
        var pattern: String
        var ipForm: FailureRule.IPForm = .plain
    }

    static let ssh = "Failed SSH login from"
    static let pop3 = "Failed POP3 login from"
    static let imap = "Failed IMAP login from"
    static let ftp = "Failed FTP login from"
    static let smtp = "Failed SMTP AUTH login from"
    static let web = "Failed web page login from"

    static let sshMethods = "(password|none|keyboard-interactive(/pam)?|hostbased|unknown)"

    static let specs: [Spec] = [
        // sshd. The strong form ends with "port N sshN": the last such structure is sshd's own.
        Spec(name: "sshd-failed", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["Failed "],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%(error: )?Failed \(sshMethods) for (invalid user |illegal user )?(?<account>.*) from %IP% port [0-9]+ ssh[12](: .*)?( \\[preauth\\])?$"),
        Spec(name: "sshd-failed-old", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["Failed "],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%(error: )?Failed \(sshMethods) for (invalid user |illegal user )?(?<account>.*) from %IP%( port [0-9]+)?( \\[preauth\\])? *$"),
        Spec(name: "sshd-invalid-user", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["user"],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%(Invalid|Illegal) user (?<account>.*) from %IP%( port [0-9]+)?( \\[preauth\\])? *$"),
        Spec(name: "sshd-not-allowed", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: [" not allowed because "],
             pattern: "%SYSLOG(\\[?sshd(-[a-z]+)?\\]?)%User (?<account>[^ ]+) from %IP% not allowed because [a-zA-Z' ]+$"),
        Spec(name: "sshd-no-identification", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["identification string"],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%Did not receive identification string from %IP%( port [0-9]+)?$"),
        Spec(name: "sshd-refused-connect", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["refused connect from"],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%refused connect from ([^ ]* )?\\(?%IP%\\)?$"),
        Spec(name: "sshd-max-attempts", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["maximum authentication attempts"],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%error: maximum authentication attempts exceeded for (invalid user )?(?<account>.*) from %IP% port [0-9]+ ssh[12]( \\[preauth\\])?$"),
        Spec(name: "sshd-pam-failure", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["error: PAM: "],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%error: PAM: ([Aa]uthentication (failure|error)|User not known to the underlying authentication module) for (illegal user )?(?<account>.*) from %IP%( via [0-9A-Fa-f:.]+)? *$"),
        Spec(name: "sshd-root-refused", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["ROOT LOGIN REFUSED FROM"],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%ROOT LOGIN REFUSED FROM %IP%( port [0-9]+)?( \\[preauth\\])?$"),

        // Courier, UW and Dovecot POP3/IMAP.
        Spec(name: "courier-pop3", app: "pop3d", text: pop3, trigger: "LF_POP3D", logKeys: ["POP3D_LOG"], literals: ["LOGIN FAILED"],
             pattern: "%SYSLOG((courier-)?(pop3d|pop3d-ssl|pop3s|courierpop3login))%LOGIN FAILED, (user=(?<account>.*)|method=[A-Z0-9-]+), ip=\\[%IP%\\](, port=\\[[0-9]+\\])?$"),
        Spec(name: "courier-imap", app: "imapd", text: imap, trigger: "LF_IMAPD", logKeys: ["IMAPD_LOG"], literals: ["LOGIN FAILED"],
             pattern: "%SYSLOG((courier-)?(imapd|imapd-ssl|imaps|courierimaplogin))%LOGIN FAILED, (user=(?<account>.*)|method=[A-Z0-9-]+), ip=\\[%IP%\\](, port=\\[[0-9]+\\])?$"),
        Spec(name: "uw-pop3", app: "pop3d", text: pop3, trigger: "LF_POP3D", logKeys: ["POP3D_LOG"], literals: ["Login "],
             pattern: "%SYSLOG(ipop3d)%Login (failed|excessive login failures|disabled) user=(?<account>[^ ]*) auth=[^ ]* host=.* \\[%IP%\\] *$"),
        Spec(name: "uw-imap", app: "imapd", text: imap, trigger: "LF_IMAPD", logKeys: ["IMAPD_LOG"], literals: ["Login "],
             pattern: "%SYSLOG(imapd)%Login (failed|excessive login failures|disabled) user=(?<account>[^ ]*) auth=[^ ]* host=.* \\[%IP%\\] *$"),
        Spec(name: "dovecot-pop3", app: "pop3d", text: pop3, trigger: "LF_POP3D", logKeys: ["POP3D_LOG"], literals: ["pop3-login", " attempts"],
             pattern: dovecot("pop3")),
        Spec(name: "dovecot-imap", app: "imapd", text: imap, trigger: "LF_IMAPD", logKeys: ["IMAPD_LOG"], literals: ["-login", " attempts"],
             pattern: dovecot("(imap|managesieve)")),

        // FTP.
        Spec(name: "pure-ftpd", app: "ftpd", text: ftp, trigger: "LF_FTPD", logKeys: ["FTPD_LOG"], literals: ["Authentication failed for user"],
             pattern: "%SYSLOG(pure-ftpd)%\\([^ @]*@(?<ip>[0-9A-Fa-f_:.]+)\\) \\[WARNING\\] Authentication failed for user \\[(?<account>.*)\\]$",
             ipForm: .underscores),
        Spec(name: "vsftpd-log", app: "ftpd", text: ftp, trigger: "LF_FTPD", logKeys: ["FTPD_LOG"], literals: ["FAIL LOGIN: Client"],
             pattern: "^(%TS%( [^ ]+)? vsftpd(\\[[0-9]+\\])?: |[A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]{1,2} [0-9:]{8} [0-9]{4} \\[pid [0-9]+\\] )\\[(?<account>.*)\\] FAIL LOGIN: Client \"%IP%\"$"),
        Spec(name: "vsftpd-pam", app: "ftpd", text: ftp, trigger: "LF_FTPD", logKeys: ["FTPD_LOG"], literals: ["authentication failure;", "rhost="],
             pattern: "%SYSLOG(vsftpd(\\(pam_unix\\))?)%(pam_unix\\([a-z_-]+:auth\\): |\\(pam_unix\\) )?authentication failure; logname=[^ ]* uid=[0-9]* euid=[0-9]* tty=[^ ]* ruser=[^ ]* rhost=%IP%( +user=(?<account>[^ ]*))? *$"),
        Spec(name: "proftpd", app: "ftpd", text: ftp, trigger: "LF_FTPD", logKeys: ["FTPD_LOG"], literals: ["proftpd"],
             pattern: "%SYSLOG(proftpd)%[^ ]+ \\([^[ ]*\\[%IP%\\]\\)( -)?:? (USER (?<account>[^ :]+):? )?.*(\\(Login failed\\)|no such user|SECURITY VIOLATION).*$"),

        // SMTP AUTH.
        Spec(name: "exim-auth", app: "smtpauth", text: smtp, trigger: "LF_SMTPAUTH", logKeys: ["SMTPAUTH_LOG"], literals: ["authenticator failed for"],
             pattern: "^%TS%( [^ ]+ exim\\[[0-9]+\\]:)?( \\[[0-9]+\\])? [A-Za-z0-9_-]+ authenticator failed for (.*) \\[%IP%\\](:[0-9]+)?( I=\\[[0-9A-Fa-f:.]+\\]:[0-9]+)?: 535 Incorrect authentication data( \\(set_id=(?<account>.*)\\))?(: [0-9]+ Time\\(s\\))?$"),
        Spec(name: "postfix-sasl", app: "smtpauth", text: smtp, trigger: "LF_SMTPAUTH", logKeys: ["SMTPAUTH_LOG"], literals: ["SASL"],
             pattern: "%SYSLOG(postfix(-[a-z]+)?(/[a-z0-9-]+)?/smtpd)%warning: [^[ ]*\\[%IP%\\](:[0-9]+)?: SASL ([A-Za-z0-9-]+) authentication failed(: .*)?$"),
        Spec(name: "smtp-auth-daemon", app: "smtpauth", text: smtp, trigger: "LF_SMTPAUTH", logKeys: ["SMTPAUTH_LOG"], literals: ["password incorrect"],
             pattern: "%SYSLOG(smtp_auth)%FAILED: (?<account>[^ ]+) - password incorrect from [^ ]* \\[%IP%\\]$"),
        Spec(name: "exim-syntax-dropped", app: "eximsyntax", text: "Exim syntax errors from", trigger: "LF_EXIMSYNTAX",
             logKeys: ["SMTPAUTH_LOG"], literals: ["too many syntax or protocol errors"],
             pattern: "^%TS%( \\[[0-9]+\\])? SMTP call from (.* )?\\[%IP%\\](:[0-9]+)?( I=\\[[0-9A-Fa-f:.]+\\]:[0-9]+)? dropped: too many syntax or protocol errors.*$"),
        Spec(name: "exim-syntax-auth", app: "eximsyntax", text: "Exim syntax errors from", trigger: "LF_EXIMSYNTAX",
             logKeys: ["SMTPAUTH_LOG"], literals: ["AUTH command used when not advertised"],
             pattern: "^%TS%( \\[[0-9]+\\])? SMTP protocol error in \"(.*)\" H=(.* )?\\[%IP%\\](:[0-9]+)?( I=\\[[0-9A-Fa-f:.]+\\]:[0-9]+)? AUTH command used when not advertised$"),

        // Web logins.
        Spec(name: "apache22-auth", app: "htpasswd", text: web, trigger: "LF_HTACCESS", logKeys: ["HTACCESS_LOG"], literals: ["] user "],
             pattern: "^\\[[^]]+\\] \\[error\\] \\[client %IP%\\] user (?<account>[^:]*)( not found|: authentication failure for \"[^\"]*\"): .*$"),
        Spec(name: "apache24-auth", app: "htpasswd", text: web, trigger: "LF_HTACCESS", logKeys: ["HTACCESS_LOG"], literals: ["] AH"],
             pattern: "^\\[[^]]+\\] \\[[a-z_0-9]*:error\\] \\[pid [0-9]+(:tid [0-9]+)?\\] \\[(client|remote) %IP%\\] AH[0-9]+: user (?<account>[^:]*)( not found|: authentication failure for \"[^\"]*\"): .*$",
             ipForm: .trailingPort),
        Spec(name: "nginx-auth", app: "htpasswd", text: web, trigger: "LF_HTACCESS", logKeys: ["HTACCESS_LOG"], literals: [", client: "],
             pattern: "^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \\[error\\] [0-9]+#[0-9]+: \\*[0-9]+ (user \"(?<account>[^\",]*)\":? (password mismatch|was not found in \"[^\"]*\")|no user/password was provided for basic authentication), client: %IP%, server: .*$"),
        Spec(name: "mod_security", app: "mod_security", text: "mod_security triggered by", trigger: "LF_MODSEC", logKeys: ["MODSEC_LOG"],
             literals: ["ModSecurity: Access denied"],
             pattern: "^\\[[^]]+\\] \\[([a-z_0-9]*:)?error\\] (\\[pid [0-9]+(:tid [0-9]+)?\\] )?\\[(client|remote) %IP%\\] (\\[client [0-9A-Fa-f:.]+\\] )?ModSecurity: .*Access denied.*$",
             ipForm: .trailingPort),
        Spec(name: "suhosin", app: "suhosin", text: "Suhosin triggered by", trigger: "LF_SUHOSIN", logKeys: ["SUHOSIN_LOG"], literals: ["ALERT - "],
             pattern: "%SYSLOG(suhosin)%ALERT - [^(]*\\(attacker '%IP%', .*$"),
        Spec(name: "bind", app: "bind", text: "bind triggered by", trigger: "LF_BIND", logKeys: ["BIND_LOG"], literals: [" denied"],
             pattern: "%SYSLOG(named)%client (@0x[0-9a-f]+ )?%IP%#[0-9]+( \\([^ )]*\\))?:( view [^ :]+:)? (update|zone transfer|query( \\(cache\\))?) '[^' ]*' denied$"),
        Spec(name: "webmin", app: "webmin", text: "Failed Webmin login from", trigger: "LF_WEBMIN", logKeys: ["WEBMIN_LOG"],
             literals: ["Invalid login as"],
             pattern: "%SYSLOG(webmin)%Invalid login as (?<account>.*) from %IP%$"),
    ]

    /// Dovecot login failures: counted N times for "(auth failed, N attempts". The user name is attacker-chosen
    /// and may contain "rip=": the greedy account group leaves the last `rip=` (Dovecot's own) for the address.
    static func dovecot(_ service: String) -> String {
        "^(%TS%( [^ ]+)? (dovecot(\\[[0-9]+\\])?: )?|%TS% )\(service)-login(\\[[0-9]+\\])?: (Info: )?.*\\((auth failed|auth service reported temporary failure), (?<count>[0-9]+) attempts( in [0-9]+ secs)?\\)( \\([a-z_]+\\))?: (user=<(?<account>.*)>, )?(method=[A-Za-z0-9-]+, )?rip=%IP%(, lip=[0-9A-Fa-f:.]+)?(, .*|: .*)?$"
    }

    /// Compiled once; a broken built-in pattern is a programming error caught by the unit tests.
    public static let all: [FailureRule] = specs.compactMap { spec in
        try? FailureRule(name: spec.name, app: spec.app, text: spec.text, trigger: spec.trigger, logKeys: spec.logKeys,
                         literals: spec.literals, pattern: spec.pattern, ipForm: spec.ipForm)
    }

    public static var names: [String] { specs.map(\.name) }
}

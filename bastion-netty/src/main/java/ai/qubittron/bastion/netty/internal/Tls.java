package ai.qubittron.bastion.netty.internal;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLException;

/**
 * The gateway's TLS: a server context from PEM files, on BoringSSL ({@code netty-tcnative}) when its
 * native library loads and on the JDK's provider otherwise; TLS 1.3 and 1.2 only, the HTTP/2 cipher
 * suites (forward-secret AEAD), and ALPN offering {@code h2} then {@code http/1.1}.
 */
public final class Tls {

    /** The protocols the gateway speaks. */
    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private Tls() {
    }

    /** The provider in use: OpenSSL (BoringSSL) when it loads and supports ALPN, else the JDK's. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() && SslProvider.isAlpnSupported(SslProvider.OPENSSL) ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * A server context for the certificate chain and private key in PEM files (the key PKCS#8, unencrypted).
     *
     * @throws IllegalArgumentException naming the file when one is missing or unreadable as PEM
     */
    public static SslContext serverContext(Path certificateChain, Path privateKey) {
        for (Path file : new Path[] {certificateChain, privateKey}) {
            if (!Files.isReadable(file)) {
                throw new IllegalArgumentException("TLS: cannot read " + file);
            }
        }
        try {
            return SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile())
                    .sslProvider(provider())
                    .protocols(PROTOCOLS)
                    .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("TLS: cannot use the certificate " + certificateChain + " and key " + privateKey
                    + ": " + e.getMessage(), e);
        }
    }
}

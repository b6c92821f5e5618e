package io.flowport.env.dask;

import io.flowport.core.ConfigurationException;
import io.flowport.core.FlowportException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The TLS material of one Dask cluster: a certificate authority made for the cluster alone and certificates for
 * its scheduler, its workers and its client (the driver), all PEM-encoded. Every part of the cluster presents its
 * certificate and accepts only peers signed by the cluster's CA, so a client without the cluster's certificate is
 * refused, and plain {@code tcp://} is refused. The CA's key is never kept: nothing can be signed for the cluster
 * once it exists.
 *
 * <p>Never serialized, never logged ({@link #toString()} shows the CA's fingerprint only).
 */
public final class DaskTls {

    /** The Dask configuration variables that carry TLS material to a Dask process (contents, not paths). */
    public static final String CA_VARIABLE = "DASK_DISTRIBUTED__COMM__TLS__CA_FILE";

    private final String caPem;
    private final String schedulerCertPem;
    private final String schedulerKeyPem;
    private final String workerCertPem;
    private final String workerKeyPem;
    private final String clientCertPem;
    private final String clientKeyPem;

    private DaskTls(String caPem, String schedulerCertPem, String schedulerKeyPem, String workerCertPem,
                    String workerKeyPem, String clientCertPem, String clientKeyPem) {
        this.caPem = caPem;
        this.schedulerCertPem = schedulerCertPem;
        this.schedulerKeyPem = schedulerKeyPem;
        this.workerCertPem = workerCertPem;
        this.workerKeyPem = workerKeyPem;
        this.clientCertPem = clientCertPem;
        this.clientKeyPem = clientKeyPem;
    }

    /**
     * Creates a new CA and the three certificates (EC P-256, valid from five minutes ago for {@code validity}).
     * CPU-bound, a few milliseconds.
     */
    public static DaskTls generate(String clusterName, Duration validity) {
        Objects.requireNonNull(clusterName, "clusterName");
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            Instant from = Instant.now().minus(Duration.ofMinutes(5));
            Instant to = Instant.now().plus(validity).plus(Duration.ofDays(1));
            KeyPair ca = gen.generateKeyPair();
            X500Name caName = new X500Name("CN=flowport dask CA " + clusterName);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder cab = new JcaX509v3CertificateBuilder(caName, serial(), Date.from(from),
                    Date.from(to), caName, ca.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(ca.getPublic()));
            ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate());
            X509Certificate caCert = toX509(cab.build(signer));
            String[] scheduler = leaf(gen, caName, caCert, signer, "dask-scheduler", from, to, ext);
            String[] worker = leaf(gen, caName, caCert, signer, "dask-worker", from, to, ext);
            String[] client = leaf(gen, caName, caCert, signer, "flowport-client", from, to, ext);
            return new DaskTls(pem(caCert), scheduler[0], scheduler[1], worker[0], worker[1], client[0], client[1]);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new FlowportException("could not create the TLS material of Dask cluster " + clusterName + ": " + e, e);
        }
    }

    /**
     * TLS material a user brings for an existing cluster (the client's part only: CA, certificate, key, PEM).
     *
     * @throws ConfigurationException if a part is missing or not PEM
     */
    public static DaskTls client(String caPem, String clientCertPem, String clientKeyPem) {
        java.util.List<String> problems = new java.util.ArrayList<>();
        pemProblem("ca", caPem, "CERTIFICATE", problems);
        pemProblem("clientCert", clientCertPem, "CERTIFICATE", problems);
        pemProblem("clientKey", clientKeyPem, "PRIVATE KEY", problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException("DaskTls", problems);
        }
        return new DaskTls(caPem, null, null, null, null, clientCertPem, clientKeyPem);
    }

    private static void pemProblem(String field, String pem, String kind, java.util.List<String> problems) {
        if (pem == null || !pem.contains("-----BEGIN") || !pem.contains(kind)) {
            problems.add(field + " must be PEM text containing a '" + kind + "' block (the file's contents, not its"
                    + " path)");
        }
    }

    private static String[] leaf(KeyPairGenerator gen, X500Name issuer, X509Certificate caCert, ContentSigner signer,
                                 String cn, Instant from, Instant to, JcaX509ExtensionUtils ext)
            throws GeneralSecurityException, IOException {
        KeyPair kp = gen.generateKeyPair();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial(), Date.from(from), Date.from(to),
                new X500Name("CN=" + cn), kp.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement))
                // every part of a Dask cluster is server and client of the others
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                        new KeyPurposeId[]{KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[]{
                        new GeneralName(GeneralName.dNSName, "localhost"),
                        new GeneralName(GeneralName.iPAddress, "127.0.0.1")}))
                .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
        return new String[]{pem(toX509(b.build(signer))), pem(kp.getPrivate())};
    }

    private static BigInteger serial() {
        return new BigInteger(64, new SecureRandom()).abs().add(BigInteger.ONE);
    }

    private static X509Certificate toX509(X509CertificateHolder h) throws CertificateException {
        return new JcaX509CertificateConverter().getCertificate(h);
    }

    private static String pem(Object o) throws IOException {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o instanceof PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null)
                    .generate() : o);
        }
        return sw.toString();
    }

    /** The CA certificate, PEM. */
    public String caPem() {
        return caPem;
    }

    /**
     * The Dask configuration (as environment variables) that makes a process of {@code role} speak TLS only, with
     * its certificate and the cluster's CA. For the scheduler and workers of clusters Flowport creates.
     *
     * @throws IllegalStateException if this material has no certificate for the role (a client-only material)
     */
    public Map<String, String> variables(Role role) {
        String cert = switch (role) {
            case SCHEDULER -> schedulerCertPem;
            case WORKER -> workerCertPem;
            case CLIENT -> clientCertPem;
        };
        String key = switch (role) {
            case SCHEDULER -> schedulerKeyPem;
            case WORKER -> workerKeyPem;
            case CLIENT -> clientKeyPem;
        };
        if (cert == null) {
            throw new IllegalStateException("this TLS material has no " + role + " certificate");
        }
        String prefix = "DASK_DISTRIBUTED__COMM__TLS__" + role.name() + "__";
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION", "True");
        env.put(CA_VARIABLE, caPem);
        env.put(prefix + "CERT", cert);
        env.put(prefix + "KEY", key);
        return env;
    }

    /**
     * Writes the CA, certificate and key of {@code role} to {@code dir} (owner-only permissions), for programs that
     * take paths (the dashboard's HTTPS server). Blocking.
     *
     * @return the paths: {@code ca}, {@code cert}, {@code key}
     */
    public Map<String, Path> writeFiles(Role role, Path dir) {
        Map<String, String> vars = variables(role);
        String prefix = "DASK_DISTRIBUTED__COMM__TLS__" + role.name() + "__";
        Map<String, Path> paths = new LinkedHashMap<>();
        try {
            Files.createDirectories(dir);
            paths.put("ca", write(dir.resolve("ca.pem"), caPem));
            paths.put("cert", write(dir.resolve(role.name().toLowerCase(java.util.Locale.ROOT) + ".pem"),
                    vars.get(prefix + "CERT")));
            paths.put("key", write(dir.resolve(role.name().toLowerCase(java.util.Locale.ROOT) + ".key"),
                    vars.get(prefix + "KEY")));
        } catch (IOException e) {
            throw new FlowportException("could not write TLS files to " + dir + ": " + e.getMessage(), e);
        }
        return paths;
    }

    private static Path write(Path p, String content) throws IOException {
        Files.deleteIfExists(p);
        try {
            Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(p);
        }
        Files.writeString(p, content, StandardCharsets.US_ASCII);
        return p;
    }

    /**
     * An SSL context that presents the client certificate and trusts only the cluster's CA. Host names are not
     * checked, as in Dask itself: cluster addresses are private IPs known only once the scheduler runs, and the
     * per-cluster CA is what identifies the cluster.
     */
    public SSLContext clientContext() {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            X509Certificate ca = (X509Certificate) cf.generateCertificate(
                    new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII)));
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            X509TrustManager chain = (X509TrustManager) tmf.getTrustManagers()[0];

            X509Certificate cert = (X509Certificate) cf.generateCertificate(
                    new ByteArrayInputStream(clientCertPem.getBytes(StandardCharsets.US_ASCII)));
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der(clientKeyPem)));
            KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
            keys.load(null, null);
            keys.setKeyEntry("client", key, new char[0], new java.security.cert.Certificate[]{cert, ca});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);

            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), new TrustManager[]{new ChainOnly(chain)}, new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new FlowportException("could not build the TLS context of the Dask client: " + e, e);
        }
    }

    private static byte[] der(String pem) {
        String body = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return Base64.getDecoder().decode(body);
    }

    @Override
    public String toString() {
        return "DaskTls[ca sha256 " + io.flowport.core.spi.Names.sha256Hex(caPem).substring(0, 16) + "…]";
    }

    /** Which part of the cluster a certificate is for. */
    public enum Role {
        /** The scheduler. */
        SCHEDULER,
        /** A worker. */
        WORKER,
        /** The client: Flowport's driver. */
        CLIENT
    }

    /** Checks the certificate chain against the cluster's CA, without the host name check. */
    private static final class ChainOnly extends X509ExtendedTrustManager {
        private final X509TrustManager delegate;

        ChainOnly(X509TrustManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }
}

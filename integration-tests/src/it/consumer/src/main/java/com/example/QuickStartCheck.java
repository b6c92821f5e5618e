package com.example;

import io.flowport.core.Environment;
import io.flowport.core.Serialization;
import io.flowport.core.Storage;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Runs the quick start on the class path this project resolved and fails unless it prints what the README
 * says; then reads a document of every provider, so that each provider's classes link against the versions
 * the BOM gave (a Jackson core/databind mismatch fails here with NoSuchMethodError or similar).
 */
public final class QuickStartCheck {

    /** The line the README's quick start shows as its output. */
    static final String EXPECTED = "Success: 2 tasks succeeded -> HELLO FLOWPORT";

    private QuickStartCheck() {
    }

    public static void main(String[] args) {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            QuickStart.main(args);
        } finally {
            System.setOut(out);
        }
        String printed = captured.toString(StandardCharsets.UTF_8).strip();
        out.println("quick start printed: " + printed);
        if (!printed.equals(EXPECTED)) {
            throw new AssertionError("the quick start printed '" + printed + "', the README says '" + EXPECTED + "'");
        }

        List<String> environments = List.of(
                "type: local\n",
                "type: local-process\njvmOptions: [-Xmx64m]\n",
                "type: fargate-task\ncluster: flows\nsubnets: [subnet-1]\n",
                "type: kubernetes-job\nnamespace: flows\n",
                "type: cloud-run-job\nproject: my-project\nregion: europe-west1\n"
                        + "image: europe-docker.pkg.dev/p/r/flows:1\n");
        for (String yaml : environments) {
            Environment env = Serialization.environmentFromYaml(yaml);
            Environment again = Serialization.environmentFromYaml(Serialization.toYaml(env));
            out.println("read " + Serialization.environmentType(again.getClass()));
        }
        // every provider registers its types with the versions this project resolved
        List<String> types = List.of("aci-container-group", "cloud-run-job", "dask-cloud-provider", "fargate-task",
                "kubernetes-job", "local", "local-process");
        if (!Serialization.environmentTypes().containsAll(types)) {
            throw new AssertionError("environment types on the class path: " + Serialization.environmentTypes()
                    + ", expected " + types);
        }
        Storage image = Serialization.storageFromJson("{\"type\":\"image\",\"registry\":\"127.0.0.1:5000\","
                + "\"repository\":\"flows\"}");
        out.println("read " + Serialization.storageType(image.getClass()));
    }
}

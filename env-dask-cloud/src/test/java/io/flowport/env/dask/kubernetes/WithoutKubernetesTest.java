package io.flowport.env.dask.kubernetes;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a user who added only flowport-env-dask-cloud gets: this module's class path without its optional
 * dependencies (flowport-env-kubernetes and fabric8, flowport-env-fargate and the AWS SDK), in a class loader of its
 * own. Local Dask works, the
 * {@code dask-kubernetes} type still reads and writes, and Kubernetes says which two artifacts to add.
 */
class WithoutKubernetesTest {

    private URLClassLoader loader;

    @BeforeEach
    void classPathWithoutKubernetes() throws MalformedURLException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<URL> urls = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            String e = entry.replace('\\', '/');
            // a user of local Dask only: neither fabric8 and env-kubernetes nor the AWS SDK and env-fargate
            if (e.contains("/io/fabric8/") || e.contains("env-kubernetes") || e.contains("/software/amazon/")
                    || e.contains("env-fargate") || e.isBlank()) {
                continue;
            }
            urls.add(new File(entry).toURI().toURL());
        }
        loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    @AfterEach
    void close() throws Exception {
        loader.close();
    }

    private Object call(String type, String method, Class<?>[] types, Object target, Object... args)
            throws Throwable {
        Method m = loader.loadClass(type).getMethod(method, types);
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private Object flow() throws Throwable {
        Object spec = call("io.flowport.core.CommandSpec", "of", new Class<?>[]{String[].class}, null,
                (Object) new String[]{"true"});
        return call("io.flowport.core.Flow", "command", new Class<?>[]{String.class,
                loader.loadClass("io.flowport.core.CommandSpec")}, null, "c", spec);
    }

    private Object environment(String yaml) throws Throwable {
        return call("io.flowport.core.Serialization", "environmentFromYaml", new Class<?>[]{String.class}, null, yaml);
    }

    private void setup(Object environment) throws Throwable {
        call("io.flowport.core.Environment", "setup", new Class<?>[]{loader.loadClass("io.flowport.core.Flow")},
                environment, flow());
    }

    @Test
    void localDaskWorksAndKubernetesNamesTheTwoArtifactsToAdd() throws Throwable {
        assertThatThrownBy(() -> loader.loadClass("io.fabric8.kubernetes.client.KubernetesClient"))
                .isInstanceOf(ClassNotFoundException.class);
        assertThatThrownBy(() -> loader.loadClass("io.flowport.env.kubernetes.KubernetesJobEnvironment"))
                .isInstanceOf(ClassNotFoundException.class);

        setup(environment("type: dask-cloud-provider\nproviderClass: local\n"));

        Object k8s = environment("type: dask-kubernetes\nmaxWorkers: 3\nnamespace: flows\n");
        assertThat(k8s.getClass().getName()).isEqualTo(DaskKubernetesEnvironment.class.getName());
        assertThat((String) call("io.flowport.core.Serialization", "toJson", new Class<?>[]{
                loader.loadClass("io.flowport.core.Environment")}, null, k8s))
                .contains("\"type\":\"dask-kubernetes\"", "\"maxWorkers\":3");
        assertThatThrownBy(() -> setup(k8s))
                .satisfies(e -> assertThat(e.getClass().getName()).isEqualTo(
                        "io.flowport.core.ProviderNotFoundException"))
                .hasMessageContaining("dask-kubernetes needs fabric8's Kubernetes client, which is not on the class"
                        + " path: add the dependencies io.flowport:flowport-env-kubernetes and"
                        + " io.fabric8:kubernetes-client");
        // the engine lists it with its other validation problems
        assertThatThrownBy(() -> setup(environment("type: dask-cloud-provider\nproviderClass: kubernetes\n")))
                .satisfies(e -> assertThat(e.getClass().getName()).isEqualTo("io.flowport.core.ConfigurationException"))
                .hasMessageContaining("providerClass 'kubernetes' needs a library that is not on the class path: add"
                        + " the dependencies io.flowport:flowport-env-kubernetes and io.fabric8:kubernetes-client");
    }
}

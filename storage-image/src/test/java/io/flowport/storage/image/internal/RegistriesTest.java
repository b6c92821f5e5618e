package io.flowport.storage.image.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RegistriesTest {

    @Test
    void loopbackIsDecidedFromTheNameAlone() {
        assertThat(Registries.isLoopback("localhost:5000")).isTrue();
        assertThat(Registries.isLoopback("127.0.0.1:5000")).isTrue();
        assertThat(Registries.isLoopback("127.1.2.3")).isTrue();
        assertThat(Registries.isLoopback("[::1]:5000")).isTrue();
        assertThat(Registries.isLoopback("127.0.0.1.example.com")).isFalse();
        assertThat(Registries.isLoopback("10.0.0.1:5000")).isFalse();
        assertThat(Registries.isLoopback("registry.example.com")).isFalse();
        assertThat(Registries.isLoopback("localhost.example.com")).isFalse();
    }

    @Test
    void hostDropsThePort() {
        assertThat(Registries.host("Registry.Example.com:443")).isEqualTo("registry.example.com");
        assertThat(Registries.host("[::1]:5000")).isEqualTo("::1");
    }
}

package io.flowport.env.cloudrun;

import io.flowport.core.CommandSpec;
import io.flowport.core.Flow;
import io.flowport.core.spi.Definition;
import io.flowport.core.spi.Labels;
import io.flowport.core.spi.Launch;
import io.flowport.core.spi.LaunchRequest;
import io.flowport.core.spi.RunStatus;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Status of many runs: one paged ListExecutions per job, never a read per run. */
class BatchedStatusTest extends WithLocalCloudRun {

    private static final Flow A = Flow.command("a", CommandSpec.of("sh", "-c", "exit 0"));
    private static final Flow B = Flow.command("b", CommandSpec.of("sh", "-c", "exit 0"));

    private List<Launch> launch(CloudRunBackend backend, Flow flow, int n) {
        Definition d = backend.prepare(flow);
        List<Launch> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = UUID.randomUUID().toString();
            out.add(backend.launch(d, new LaunchRequest(id, flow.name(), flow.commandSpec().orElseThrow().command(),
                    Map.of(), Labels.forRun(id, flow.name()), id)));
        }
        return out;
    }

    @Test
    void fiftyRunsOfOneJobAreOneListingAndNoGetPerRun() {
        CloudRunBackend backend = env(fixture()).backend();
        List<Launch> launches = launch(backend, A, 50);
        server.start(launches.get(7).id());
        server.exit(launches.get(9).id(), 4);
        int before = server.calls("ListExecutions");

        Map<String, RunStatus> s = backend.describe(launches);

        assertThat(s).hasSize(50);
        assertThat(s.get(launches.get(0).id()).phase()).isEqualTo(RunStatus.Phase.PROVISIONING);
        assertThat(s.get(launches.get(7).id()).phase()).isEqualTo(RunStatus.Phase.RUNNING);
        assertThat(s.get(launches.get(9).id()).state().message()).contains("exited with code 4");
        assertThat(server.calls("ListExecutions") - before).isEqualTo(1);
        assertThat(server.calls("GetExecution")).isZero();
        assertThat(server.listExecutionsPageSizes()).allMatch(size -> size == CloudRunBackend.PAGE_SIZE);
    }

    @Test
    void runsOfTwoJobsAreOneListingPerJob() {
        CloudRunBackend backend = env(fixture()).backend();
        List<Launch> launches = new ArrayList<>(launch(backend, A, 20));
        launches.addAll(launch(backend, B, 20));
        int before = server.calls("ListExecutions");
        assertThat(backend.describe(launches)).hasSize(40);
        assertThat(server.calls("ListExecutions") - before).isEqualTo(2);
    }

    @Test
    void aSmallerServerPageIsFollowedPageByPage() {
        server.maxPageSize = 10;
        CloudRunBackend backend = env(fixture()).backend();
        List<Launch> launches = launch(backend, A, 45);
        int before = server.calls("ListExecutions");
        assertThat(backend.describe(launches)).hasSize(45);
        assertThat(server.calls("ListExecutions") - before).isEqualTo(5);
    }

    @Test
    void theListingStopsOnceEveryFollowedRunIsFound() {
        server.maxPageSize = 10;
        CloudRunBackend backend = env(fixture()).backend();
        List<Launch> old = launch(backend, A, 60);
        old.forEach(l -> server.exit(l.id(), 0));
        List<Launch> recent = launch(backend, A, 5);
        int before = server.calls("ListExecutions");
        assertThat(backend.describe(recent)).hasSize(5);
        // newest first: the five recent ones are on the first page; the 60 older ones are not read
        assertThat(server.calls("ListExecutions") - before).isEqualTo(1);
    }

    @Test
    void aRunCloudRunNoLongerListsIsLeftOut() {
        CloudRunBackend backend = env(fixture()).backend();
        List<Launch> launches = launch(backend, A, 3);
        server.exit(launches.get(1).id(), 0);
        backend.delete(launches.get(1));
        Map<String, RunStatus> s = backend.describe(launches);
        assertThat(s).containsOnlyKeys(launches.get(0).id(), launches.get(2).id());
    }

    @Test
    void readsArePacedAtReadsPerSecond() {
        server.maxPageSize = 1;
        CloudRunBackend backend = env(fixture().readsPerSecond(20)).backend();
        List<Launch> launches = launch(backend, A, 10);
        long start = System.nanoTime();
        backend.describe(launches); // ten pages of one
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(ms).as("10 reads at 20/s").isGreaterThanOrEqualTo(400);
    }
}

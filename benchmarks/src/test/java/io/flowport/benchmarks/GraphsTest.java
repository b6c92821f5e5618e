package io.flowport.benchmarks;

import io.flowport.core.Executor;
import io.flowport.core.Flow;
import io.flowport.core.FlowRun;
import io.flowport.core.FlowRunResult;
import io.flowport.core.TaskSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Fast checks of the benchmark graphs (small N; no benchmark runs here). */
class GraphsTest {

    @ParameterizedTest
    @EnumSource(Graphs.Shape.class)
    void everyShapeHasExactlyNTasksAndRunsOnBothExecutors(Graphs.Shape shape) {
        for (int n : new int[] {3, 4, 5, 6, 7, 11, 1000}) {
            Flow flow = Graphs.build(shape, n);
            assertThat(flow.size()).as("%s %d", shape, n).isEqualTo(n);
            for (Executor ex : new Executor[] {Executor.sequential(), Executor.parallel(2)}) {
                FlowRunResult r = ex.execute(flow, FlowRun.create());
                assertThat(r.isSuccess()).as("%s %d %s: %s", shape, n, ex, r.state()).isTrue();
                assertThat(r.tasks()).hasSize(n);
            }
        }
    }

    @Test
    void chainIsOneLine() {
        Flow flow = Graphs.chain(5, Graphs.NO_OP);
        assertThat(flow.task("t4").orElseThrow().upstream()).containsExactly("t3");
        assertThat(flow.task("t0").orElseThrow().upstream()).isEmpty();
    }

    @Test
    void fanOutHasOneRootAndOneSink() {
        Flow flow = Graphs.fanOut(10, Graphs.NO_OP, Graphs.NO_OP);
        assertThat(flow.task("sink").orElseThrow().upstream()).hasSize(8);
        for (int i = 1; i <= 8; i++) {
            assertThat(flow.task("m" + i).orElseThrow().upstream()).containsExactly("root");
        }
    }

    @Test
    void diamondsAlternateWideLayersAndJoins() {
        Flow flow = Graphs.diamonds(1 + 2 * (Graphs.DIAMOND_WIDTH + 1), Graphs.NO_OP);
        TaskSpec join1 = flow.task("j1").orElseThrow();
        assertThat(join1.upstream()).hasSize(Graphs.DIAMOND_WIDTH);
        assertThat(flow.task("d2_0").orElseThrow().upstream()).containsExactly("j1");
        assertThat(flow.task("j2").orElseThrow().upstream()).hasSize(Graphs.DIAMOND_WIDTH);
    }

    @Test
    void cpuWorkDependsOnItsInput() {
        assertThat(CpuWork.spin(1, 1000)).isNotEqualTo(CpuWork.spin(2, 1000));
    }

    @Test
    void daskJsonIsRead() throws Exception {
        DaskComparison.Result r = DaskComparison.parse("{\"dask_version\":\"2022.12.1\",\"num_workers\":2,"
                + "\"results\":[{\"shape\":\"chain\",\"n\":10000,\"reps\":5,\"median_us_per_task\":50.5,"
                + "\"min_us_per_task\":49.0,\"mean_us_per_task\":51.0}]}");
        assertThat(r.isSkipped()).isFalse();
        assertThat(r.get("chain", 10000).medianMicros()).isEqualTo(50.5);
        assertThat(DaskComparison.parse("{\"skipped\":\"no dask\"}").isSkipped()).isTrue();
    }
}

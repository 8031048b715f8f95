"""The catalog of figures README and ``docs/`` show, in their order: ``"<script>/<figure>": (what it measures,
target)``. :data:`FIGURES` is the full table of ``docs/benchmarks.md``, :data:`HEADLINE` README's short one.

Adding a figure is one line here (the script emits it with :func:`common.emit`; ``run_all.py``
collects it into ``results.json``; ``readme_figures.py`` renders it). A listed figure missing from
``results.json`` makes the generator fail, naming it.
"""

FIGURES: dict[str, tuple[str, str]] = {
    "bench_features/demo_generation_seconds": ("demo set generation, 200 clips × 10 s (s)", "≤ 30 s"),
    "bench_features/extraction_cold_clips_per_second": ("feature extraction, cold, gtzan-mini (100 × 30 s), clips/s",
                                                        "≥ 100"),
    "bench_features/cached_reload_clips_per_second": ("cached reload of gtzan-mini's features, clips/s", "≥ 1000"),
    "bench_classifier/paper_seconds_per_epoch_699_clips": ("paper preset, one epoch on 699 clips × 174 frames (s)",
                                                           "report"),
    "bench_classifier/recommended_cv_gtzan_mini": ("recommended preset, 5-fold CV on gtzan-mini (REPORT_PARTITION), "
                                                   "pooled over its 100 clips", "≥ 85 %"),
    "bench_classifier/recommended_cv_seconds_per_fold": ("… seconds a fold (s)", "≤ 60 s"),
    "bench_classifier/paper_cv_gtzan_mini": ("… the paper preset (the study's LSTM, 120 epochs), the same 5-fold CV",
                                             "report"),
    "bench_classifier/recommended_demo_test_accuracy": ("recommended preset on the demo set (stratified split, seed 0, "
                                                        "30 test clips)", "report"),
    "bench_generalise/recommended_musifeast7_accuracy": ("recommended preset trained on gtzan-mini (stratified, "
                                                         "seed 0), checked on musifeast-7 (147 real clips of 7 genres)",
                                                         "≥ 40 %, every genre ≥ 20 %"),
    "bench_generalise/musifeast7_evaluate_seconds": ("… seconds to check the 147 clips, decoding included (s)",
                                                     "≤ 30 s"),
    "bench_generalise/recommended_musifeast7_seeds": ("… the same over seeds 0–2 of the split", "report"),
    "bench_pretrained/pretrained_check_musifeast_seed0": ("pretrained preset (musicnn ear + logistic regression) "
                                                         "trained on gtzan-mini (stratified, seed 0), checked on "
                                                         "musifeast-7 through python -m core evaluate",
                                                         "≥ 55 %, every genre ≥ 25 %"),
    "bench_pretrained/pretrained_check_musifeast_seeds": ("… the same over seeds 0–2 of the split", "≥ 55 %"),
    "bench_pretrained/pretrained_cv_gtzan_mini": ("… 5-fold CV on gtzan-mini (REPORT_PARTITION), pooled over its "
                                                  "100 clips", "≥ 90 %"),
    "bench_pretrained/pretrained_embed_seconds_per_clip": ("… embedding one 30 s clip, two threads (s)", "≤ 1 s"),
    "bench_pretrained/pretrained_cached_reload_clips_per_second": ("… cached reload of gtzan-mini's embeddings, "
                                                                   "clips/s", "≥ 1000"),
    "bench_pretrained/pretrained_train_cold_seconds": ("… training on gtzan-mini from a cold cache (s)", "≤ 180 s"),
    "bench_pretrained/pretrained_train_warm_seconds": ("… training again, embeddings cached (s)", "≤ 10 s"),
    "bench_pretrained/pretrained_predict_cold_seconds": (
        "… python -m core predict on a 30 s mp3 in a new process (s)", "≤ 3 s"),
    "bench_pretrained/pretrained_evaluate_cold_seconds": ("… python -m core evaluate on musifeast-7, cold (s)",
                                                          "≤ 180 s"),
    "bench_pretrained/pretrained_evaluate_warm_seconds": ("… the same, embeddings cached (s)", "≤ 30 s"),
    "bench_inversion/griffinlim_3s_seconds": ("Griffin-Lim, 3 s segment, 40 refinement steps + 12 over-relaxed "
                                              "iterations (librosa's 32), one thread (s)", "≤ 0.2 s"),
    "bench_inversion/speedup_vs_librosa": ("… speed-up over librosa's mel_to_audio", "≥ 20×"),
    "bench_inversion/spectral_convergence_ratio_ours_over_librosa": ("… spectral convergence, ours / librosa's",
                                                                     "≤ 1.1"),
    "bench_gan/conditional_gan_train_seconds_mean": ("conditional GAN, training on the demo set (100 epochs), mean "
                                                     "over seeds 0–4 (s)", "≤ 300 s"),
    "bench_gan/conditional_gan_tstr_ratio_mean": ("… TSTR: accuracy trained on its samples only / trained on real "
                                                  "clips, mean over seeds 0–4", "≥ 0.8"),
    "bench_gan/conditional_gan_c2st_mean": ("… C2ST on band statistics: real vs generated told apart, mean over "
                                            "seeds 0–4", "≤ 75 %"),
    "bench_gan/conditional_gan_c2st_embedding_mean": ("… C2ST in the judge's embedding (no discriminator sees it), "
                                                      "mean over seeds 0–4", "report"),
    "bench_gan/paper_gan_tstr_ratio_mean": ("paper GAN (the study's), TSTR ratio, mean over seeds 0–4",
                                            "report (expected: chance)"),
    "bench_gan/paper_gan_c2st_mean": ("… C2ST on band statistics, mean over seeds 0–4",
                                      "report (expected: ≈ 100 %)"),
    "bench_gan/paper_gan_fidelity_mean": ("… genre fidelity, mean over seeds 0–4", "report (chance: 10 %)"),
    "bench_gan/gtzan_mini_conditional_gan_tstr_ratio_mean": (
        "conditional GAN on gtzan-mini, TSTR ratio, mean over folds 5–9 (REPORT_PARTITION)", "report"),
    "bench_gan/gtzan_mini_conditional_gan_c2st_mean": ("… C2ST on band statistics, mean over those folds",
                                                                  "report"),
    "bench_gan/gtzan_mini_conditional_gan_c2st_embedding_mean": ("… C2ST in the judge's embedding", "report"),
    "bench_gan/gtzan_mini_conditional_gan_train_seconds_mean": ("… training, mean over those folds (s)",
                                                                           "report"),
    "bench_predict/warm_predict_30s_seconds": ("prediction of a 30 s clip, warm (s)", "≤ 0.1 s"),
    "bench_predict/cold_predict_30s_seconds": ("prediction, cold in a new process: imports, model load, predict (s)",
                                               "≤ 2 s"),
    "bench_app/app_cold_start_seconds": ("app cold start to an interactive home page, median over every server "
                                         "started (s)", "≤ 3 s"),
    "bench_app/app_home_drawn_seconds": ("… until Home's chart is drawn (the browser loads plotly's library) (s)",
                                         "report"),
    "bench_app/app_cold_start_floor_seconds": ("… `streamlit run` of a one-line script to its title: the floor (s)",
                                               "report"),
    "bench_app/page_switch_seconds_mean": ("page switch, mean over six pages (s)", "≤ 0.5 s"),
    "bench_app/page_switch_seconds_slowest": ("… the slowest page (s)", "≤ 1 s"),
    "bench_app/first_visit_seconds_dataset": ("first visit after a cold start, done running: Dataset, demo set (s)",
                                              "≤ 5 s"),
    "bench_app/first_visit_seconds_dataset_on_gtzan_mini": ("… Dataset on gtzan-mini (s)", "≤ 5 s"),
    "bench_app/first_visit_seconds_train": ("… Train (s)", "≤ 5 s"),
    "bench_app/first_visit_seconds_gan": ("… GAN (s)", "≤ 5 s"),
    "bench_app/first_visit_seconds_compare": ("… Compare (s)", "≤ 5 s"),
    "bench_app/first_visit_seconds_predict": ("… Predict (s)", "≤ 5 s"),
    "bench_app/app_server_peak_rss_mb": ("app server's peak resident memory after every page (MB)", "≤ 600"),
    "bench_memory/worker_recommended_training_peak_rss_mb": ("worker's peak resident memory, one recommended "
                                                              "training on the demo set (MB)", "report"),
    "bench_memory/evaluate_musifeast7_peak_rss_mb": ("`python -m core evaluate` on musifeast-7, peak resident "
                                                      "memory (MB)", "report"),
    "bench_load/load_8_sessions_render_seconds": ("8 browser sessions at once, all rendered (s)", "< 60 s"),
    "bench_load/load_8_sessions_jobs_seconds": ("… their 8 queued trainings, all finished (s)", "report"),
    "bench_lesson/lesson_demo_seconds": ("the lesson on the demo set, queued to finished, no page open (s)",
                                         "≤ 300 s"),
    "bench_lesson/lesson_quick_demo_seconds": ("… the quick lesson (5 epochs) (s)", "≤ 90 s"),
    "bench_repro/same_seed_same_threads_identical": ("same seed, same thread count, two fresh processes: identical "
                                                     "numbers", "true"),
    "bench_repro/threads_accuracy_change_points": ("… 2 threads instead of 1: change of test accuracy (points)",
                                                   "report"),
    "bench_repro/threads_predictions_changed": ("… 2 threads instead of 1: test clips predicted differently",
                                                "report"),
}

STUDY: dict[str, str] = {"bench_experiment/demo_controls_table": "demo set: recommended LSTM, conditional GAN, "
                                                                  "controls (5 seeds)"}
"""The study's table: ``bench_experiment`` table figure → its column in README, e.g.
``"bench_experiment/demo_table": "demo set"`` and ``"bench_experiment/gtzan-mini_table": "gtzan-mini"``
once ``run_all.py --only bench_experiment_demo,bench_experiment_gtzan_mini`` has produced them. While it is
empty, README's study section says that no run under the current statistics exists yet."""

GAN_SEEDS: dict[str, tuple[str, tuple[int, ...]]] = {
    "conditional": ("bench_gan/conditional_gan", (0, 1, 2, 3, 4)),
    "paper": ("bench_gan/paper_gan", (0, 1, 2, 3, 4)),
    "conditional, gtzan-mini fold": ("bench_gan/gtzan_mini_conditional_gan", (5, 6, 7, 8, 9)),
}
"""README's per-seed GAN table: row label → (``bench_gan`` figure stem, seeds); one row per seed, each cell
from the ``<stem>_<measure>_seed<s>`` figures :func:`readme_figures.render_gan` reads."""

HEADLINE: dict[str, tuple[str, str]] = {
    "bench_pretrained/pretrained_check_musifeast_seed0": (
        "the pretrained ear (musicnn + logistic regression) trained on gtzan-mini's 100 clips (stratified split, "
        "seed 0), on 147 real recordings of 7 genres it never heard (musifeast-7)", "≥ 55 %"),
    "bench_pretrained/pretrained_check_musifeast_seeds": (
        "the pretrained ear, the same check over seeds 0–2 of the split", "≥ 55 %"),
    "bench_generalise/recommended_musifeast7_accuracy": (
        "the recommended LSTM, trained from scratch the same way, on the same 147 recordings", "≥ 40 %"),
    "bench_generalise/recommended_musifeast7_seeds": (
        "the recommended LSTM, the same check over seeds 0–2 of the split", "≥ 40 %"),
    "bench_pretrained/pretrained_cv_gtzan_mini": (
        "the pretrained ear, 5-fold CV on gtzan-mini (REPORT_PARTITION), pooled over its 100 clips", "≥ 90 %"),
    "bench_classifier/recommended_cv_gtzan_mini": ("the recommended LSTM, the same CV", "≥ 85 %"),
    "bench_gan/conditional_gan_tstr_ratio_mean": (
        "conditional GAN on the demo set: accuracy trained on its samples only / trained on real clips, mean over "
        "seeds 0–4", "≥ 0.8"),
    "bench_gan/paper_gan_tstr_ratio_mean": ("the study's GAN, the same ratio", "report (expected: chance)"),
    "bench_app/app_cold_start_seconds": ("app cold start to an interactive Home page (s)", "≤ 3 s"),
    "bench_lesson/lesson_demo_seconds": ("the lesson on the demo set, from the click to its last step (s)",
                                         "≤ 300 s"),
}
"""README's figures: the handful a visitor needs, each standing alone (no "…" rows); every key is also in
:data:`FIGURES`, where its neighbours give the context."""

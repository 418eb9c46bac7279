;;; llm-native-bench.el --- Benchmarks of llm-native against the fake provider server  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 The llm-native authors
;; SPDX-License-Identifier: GPL-3.0-or-later

;;; Commentary:

;; `make bench' runs `llm-native-bench-main' in a batch Emacs.  Every
;; scenario streams through `llm-chat-streaming' with a partial callback
;; from the fake provider server (tests/server/fake_server.py, a separate
;; process on 127.0.0.1) and checks the final text byte for byte against
;; the server's /_control/expected.  Each figure is the median of several
;; runs (env LLM_NATIVE_BENCH_RUNS, default 5; memory runs once).
;;
;; Figures:
;; - main-thread CPU: utime+stime of /proc/self/task/<pid>/stat (the main
;;   thread's tid is the pid), apart from the whole process (/proc/self/stat,
;;   which includes the engine's worker thread).  Both count clock ticks of
;;   1/CLK_TCK s (10 ms on most systems); the table says so.
;; - wall time: from the call to the response callback.
;; - GC: deltas of `gcs-done' and `gc-elapsed'.
;; - lateness: a 1 ms timer that re-arms itself records how late each
;;   firing runs (a stand-in for a frozen editor): a stall of S ms shows as
;;   at least S - 1 ms.
;; - bytes consed: from `memory-use-counts' (see
;;   `llm-native-bench--bytes-consed'); garbage collections follow from it.
;;   The driver runs with the collector settings of an interactive session
;;   (batch Emacs 30 raises `gc-cons-percentage' to 1.0, which would hide
;;   them).
;;
;; Output: one JSON line per scenario on stdout, then a readable table; the
;; JSON lines also go to build/bench-results.json (env
;; LLM_NATIVE_BENCH_OUTPUT).  Targets and the incumbent's figures are printed
;; beside the measurements, never as pass/fail.
;;
;; The incumbent, measured here: with LLM_NATIVE_BENCH_INCUMBENT set to the
;; directories of the real llm package and its dependencies (colon-separated;
;; `make bench' compiles them and puts them on load-path ahead of
;; llm-native), llm-native runs beside the real llm, and after its own
;; scenarios the driver turns `llm-native-mode' off and runs the same
;; scenarios through llm's own plz/curl path, in the same Emacs against the
;; same server.  Their figures get a column of their own in the table and
;; JSON lines with "impl":"incumbent" (llm-native's lines then carry
;; "impl":"llm-native").  The incumbent is slow, so: its 20,000-token
;; scenarios and the 4 MiB JSON-array record run
;; LLM_NATIVE_BENCH_INCUMBENT_SLOW_RUNS times (default 1), the others
;; LLM_NATIVE_BENCH_INCUMBENT_RUNS times (default 3); concurrency is
;; the bounded "concurrency-10x1000" variant (10 streams of 1,000 tokens,
;; also run for llm-native so the pair compares); every run of a big-record
;; scenario must end within LLM_NATIVE_BENCH_INCUMBENT_BOUND seconds
;; (default 60), of the others within LLM_NATIVE_BENCH_INCUMBENT_LONG_BOUND
;; (default 180), else the scenario is reported as timed out; an error Emacs
;; reports from llm's process filter is recorded and printed under the
;; table; memory and the limit scenarios are not run.

;;; Code:

(require 'cl-lib)
(require 'json)
(require 'subr-x)
(require 'llm-native)
(require 'llm)
(require 'llm-native-test-util)

(defvar llm-warn-on-nonfree)
(setq llm-warn-on-nonfree nil)

;; An interactive session's defaults; batch Emacs 30 starts with
;; `gc-cons-percentage' at 1.0, so it would collect less often than any user's.
(setq gc-cons-threshold 800000 gc-cons-percentage 0.1)

(defvar llm-native-bench--root
  (expand-file-name "../.." (file-name-directory (or load-file-name buffer-file-name)))
  "The repository root.")

(defvar llm-native-bench-runs
  (let ((env (getenv "LLM_NATIVE_BENCH_RUNS")))
    (if (and env (> (string-to-number env) 0)) (string-to-number env) 5))
  "How many runs each scenario's medians are taken over.")

;;;; Options of the incumbent comparison

(defun llm-native-bench--env-count (name default)
  "Return the positive number in environment variable NAME, else DEFAULT."
  (let ((env (getenv name)))
    (if (and env (> (string-to-number env) 0)) (string-to-number env) default)))

(defvar llm-native-bench-incumbent-dirs
  (split-string (or (getenv "LLM_NATIVE_BENCH_INCUMBENT") "") ":" t)
  "Directories of the real llm package and its dependencies.
Non-nil (from LLM_NATIVE_BENCH_INCUMBENT) makes `llm-native-bench-main'
measure the incumbent too; `make bench' puts compiled copies of these
directories on `load-path' before llm-native loads.")

(defvar llm-native-bench-incumbent-slow-runs
  (llm-native-bench--env-count "LLM_NATIVE_BENCH_INCUMBENT_SLOW_RUNS" 1)
  "Runs of the incumbent's slowest scenarios (20 s or more a run).
They are throughput and responsiveness (20,000 tokens) and the 4 MiB
JSON-array record.")

(defvar llm-native-bench-incumbent-runs
  (llm-native-bench--env-count "LLM_NATIVE_BENCH_INCUMBENT_RUNS" 3)
  "Runs of the incumbent's other scenarios.")

(defvar llm-native-bench-incumbent-bound
  (llm-native-bench--env-count "LLM_NATIVE_BENCH_INCUMBENT_BOUND" 60)
  "Seconds each run of the incumbent's big-record scenarios may take.
A run still going then is stopped and the scenario reported as timed out.")

(defvar llm-native-bench-incumbent-long-bound
  (llm-native-bench--env-count "LLM_NATIVE_BENCH_INCUMBENT_LONG_BOUND" 180)
  "Seconds each run of the incumbent's other scenarios may take.
The 20,000-token ones take 20 to 50 s on a busy machine.")

(defconst llm-native-bench--bounded-streams 10
  "Streams of the bounded concurrency variant, run by both implementations.")

(defvar llm-native-bench--stream-timeout 120
  "Seconds a benchmark stream may take, unless the caller gives its own.")

(define-error 'llm-native-bench-timeout "Timed out")

(defvar llm-native-bench--command-errors nil
  "Errors Emacs reported from process filters and timers, newest first.
Recorded while the incumbent runs: an error in plz's filter does not
reach llm's callbacks, Emacs only reports it, so this is how a run
that stalls on one says why.")

(defun llm-native-bench--record-command-error (data context _signal)
  "Record the error DATA that Emacs reports with CONTEXT, and print it.
This is a `command-error-function'.  The default one, in a batch
Emacs, kills Emacs on an error in a process filter; an interactive
Emacs reports it and goes on, which is what the incumbent's user sees."
  (let ((text (concat context (error-message-string data))))
    ;; Print each error once in a row: a stalled parser repeats it per chunk.
    (unless (equal text (car llm-native-bench--command-errors))
      (message "%s" text))
    (push text llm-native-bench--command-errors)))

(defvar llm-native-bench--clock-ticks nil "Clock ticks per second of /proc's CPU times.")

;;;; Measuring

(defun llm-native-bench--clock-ticks ()
  "Return CLK_TCK, the unit of /proc CPU times."
  (or llm-native-bench--clock-ticks
      (setq llm-native-bench--clock-ticks
            (let ((out (string-trim (shell-command-to-string "getconf CLK_TCK"))))
              (if (> (string-to-number out) 0) (string-to-number out) 100)))))

(defun llm-native-bench--read-file (file)
  "Return the contents of FILE (a /proc file) as a string."
  (with-temp-buffer
    (insert-file-contents-literally file)
    (buffer-string)))

(defun llm-native-bench--stat-fields (file)
  "Return the fields of the /proc stat FILE after the command name.
Element 0 is field 3 (state) of proc(5), so utime is element 11."
  (let ((text (llm-native-bench--read-file file)))
    ;; The command name may hold spaces and parentheses: cut after the last ")".
    (split-string (substring text (1+ (cl-position ?\) text :from-end t))) " " t)))

(defun llm-native-bench--cpu (file &optional children)
  "Return utime+stime in seconds from the /proc stat FILE.
With CHILDREN, return cutime+cstime (waited-for children) instead."
  (let* ((fields (llm-native-bench--stat-fields file))
         (index (if children 13 11)))
    (/ (float (+ (string-to-number (nth index fields))
                 (string-to-number (nth (1+ index) fields))))
       (llm-native-bench--clock-ticks))))

(defun llm-native-bench--main-thread-file ()
  "Return the stat file of Emacs's main thread."
  (format "/proc/self/task/%d/stat" (emacs-pid)))

(defun llm-native-bench--snapshot ()
  "Return the counters a measurement takes differences of."
  (list :time (float-time)
        :main-cpu (llm-native-bench--cpu (llm-native-bench--main-thread-file))
        :cpu (llm-native-bench--cpu "/proc/self/stat")
        :child-cpu (llm-native-bench--cpu "/proc/self/stat" t)
        :gcs gcs-done
        :gc-time gc-elapsed
        :counts (memory-use-counts)))

(defun llm-native-bench--delta (before)
  "Return the measured plist from snapshot BEFORE to now.
Keys :wall :main-cpu :cpu :child-cpu :gcs :gc-time :consed."
  (let ((after (llm-native-bench--snapshot)))
    (list :wall (- (plist-get after :time) (plist-get before :time))
          :main-cpu (- (plist-get after :main-cpu) (plist-get before :main-cpu))
          :cpu (- (plist-get after :cpu) (plist-get before :cpu))
          :child-cpu (- (plist-get after :child-cpu) (plist-get before :child-cpu))
          :gcs (- (plist-get after :gcs) (plist-get before :gcs))
          :gc-time (- (plist-get after :gc-time) (plist-get before :gc-time))
          :consed (llm-native-bench--bytes-consed (plist-get before :counts)
                                                  (plist-get after :counts)))))

(defun llm-native-bench--rss-kib ()
  "Return this Emacs's resident memory in KiB (VmRSS)."
  (let ((status (llm-native-bench--read-file "/proc/self/status")))
    (if (string-match "^VmRSS:[ \t]+\\([0-9]+\\)" status)
        (string-to-number (match-string 1 status))
      0)))

(defun llm-native-bench--fd-count (&optional sockets)
  "Return how many file descriptors this Emacs has open.
With SOCKETS, count only sockets (libcurl's cached connections among them)."
  (cl-count-if (lambda (fd)
                 (or (not sockets)
                     (string-prefix-p "socket:" (or (file-symlink-p (concat "/proc/self/fd/" fd))
                                                    ""))))
               (directory-files "/proc/self/fd" nil "\\`[0-9]+\\'" t)))

(defun llm-native-bench--percentile (values fraction)
  "Return the FRACTION percentile (0..1, nearest rank) of the numbers VALUES."
  (if (null values) 0
    (let ((sorted (sort (copy-sequence values) #'<)))
      (nth (max 0 (min (1- (length sorted))
                       (1- (ceiling (* fraction (length sorted))))))
           sorted))))

;;;; The lateness probe

(defvar llm-native-bench--lateness nil "Lateness in seconds of each probe firing, newest first.")
(defvar llm-native-bench--probe-timer nil "The probe's pending timer.")
(defvar llm-native-bench--probe-due nil "When the probe's pending timer should fire.")

(defconst llm-native-bench--probe-period 0.001
  "The probe's period in seconds.
A stall of S seconds makes a firing at least S minus this late, so the
lateness it reports is the stall a user would feel, to within a period.")

(defun llm-native-bench--probe-tick ()
  "Record how late this firing is and arm the next one."
  (let ((now (float-time)))
    (push (max 0.0 (- now llm-native-bench--probe-due)) llm-native-bench--lateness)
    (setq llm-native-bench--probe-due (+ now llm-native-bench--probe-period))
    ;; The same timer object each time: a new one every millisecond would
    ;; cons more than some scenarios do.
    (timer-set-time llm-native-bench--probe-timer llm-native-bench--probe-due)
    (timer-activate llm-native-bench--probe-timer)))

(defun llm-native-bench--probe-start ()
  "Start the lateness probe."
  (setq llm-native-bench--lateness nil
        llm-native-bench--probe-due (+ (float-time) llm-native-bench--probe-period)
        llm-native-bench--probe-timer
        (run-at-time llm-native-bench--probe-period nil #'llm-native-bench--probe-tick)))

(defun llm-native-bench--probe-stop ()
  "Stop the probe; return (:late-p50 :late-p99 :late-max) in seconds.
A firing still pending counts too: if the main loop is stuck when the
measurement ends, that delay is lateness as well."
  (let ((now (float-time)))
    (when llm-native-bench--probe-timer
      (cancel-timer llm-native-bench--probe-timer)
      (setq llm-native-bench--probe-timer nil)
      (when (> now llm-native-bench--probe-due)
        (push (- now llm-native-bench--probe-due) llm-native-bench--lateness))))
  (let ((late llm-native-bench--lateness))
    (list :late-p50 (llm-native-bench--percentile late 0.5)
          :late-p99 (llm-native-bench--percentile late 0.99)
          :late-max (if late (apply #'max late) 0)
          :late-samples (length late))))

;;;; Talking to the fake server

(defun llm-native-bench--scenario (spec)
  "Register the fake-server scenario SPEC (a plist); return its base URL."
  (llm-native-test-scenario spec))

(defun llm-native-bench--expected (base)
  "Return the exact text the scenario BASE generated (its latest finished request)."
  (alist-get 'text (llm-native-test-expected base)))

(defun llm-native-bench--openai (base)
  "Return an OpenAI-compatible provider aimed at the scenario BASE."
  (make-llm-openai-compatible :url (concat base "/v1/") :key "bench-key"
                              :chat-model "bench-model"))

(defun llm-native-bench--wait (pred seconds)
  "Run the main loop until PRED returns non-nil.
Signal `llm-native-bench-timeout' with SECONDS after SECONDS."
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.01))
    (unless (funcall pred)
      (signal 'llm-native-bench-timeout (list seconds)))))

(cl-defun llm-native-bench--stream (provider &key on-partial (timeout llm-native-bench--stream-timeout))
  "Start one streaming chat with PROVIDER; return its state plist.
The plist is filled as the request runs: :partials (count), :done-at
\(`float-time' of the response callback), :text, :error, and :request
\(what `llm-chat-streaming' returned, for `llm-cancel-request').
ON-PARTIAL, if given, is also called with each partial text."
  (let ((state (list :partials 0 :done-at nil :text nil :error nil :timeout timeout
                     :request nil)))
    (plist-put state :request
               (llm-chat-streaming
                provider (llm-make-chat-prompt "Go")
                (lambda (text)
                  (setq state (plist-put state :partials (1+ (plist-get state :partials))))
                  (when on-partial (funcall on-partial text)))
                (lambda (text)
                  (setq state (plist-put state :text text))
                  (setq state (plist-put state :done-at (float-time))))
                (lambda (symbol message)
                  (setq state (plist-put state :error (format "%s: %s" symbol message)))
                  (setq state (plist-put state :done-at (float-time))))))
    (lambda () state)))

(defun llm-native-bench--cancel-unfinished (streams)
  "Cancel the requests of the STREAMS that have not ended.
A stream left running after a timeout would go on using the main
thread during the scenarios that follow."
  (dolist (stream streams)
    (unless (llm-native-bench--finished-p stream)
      (ignore-errors (llm-cancel-request (plist-get (funcall stream) :request))))))

(defun llm-native-bench--finished-p (stream)
  "Return non-nil when STREAM (from `llm-native-bench--stream') has ended."
  (plist-get (funcall stream) :done-at))

(defvar llm-native-bench--collect-first t
  "Non-nil: each measured run starts right after a garbage collection.
The session-heap scenario binds it to nil, so that what runs cons adds
up from one run to the next, as it does in a session.")

(defun llm-native-bench--run-streams (streams-thunk expected-fn &optional probe)
  "Start the streams STREAMS-THUNK returns, wait for them all and measure.
EXPECTED-FN returns the expected text once they ended.  With PROBE,
run the lateness probe meanwhile.  Return the measured plist, with
:text-ok, :errors and :partials (total)."
  (when llm-native-bench--collect-first (garbage-collect))
  (let* ((before (llm-native-bench--snapshot))
         (_ (when probe (llm-native-bench--probe-start)))
         (streams (funcall streams-thunk))
         (timeout (apply #'max (mapcar (lambda (s) (plist-get (funcall s) :timeout)) streams))))
    (condition-case err
        (llm-native-bench--wait (lambda () (cl-every #'llm-native-bench--finished-p streams))
                                timeout)
      ;; A timeout, or an error out of a stream's filter: stop what still runs.
      (error
       (when probe (llm-native-bench--probe-stop))
       (llm-native-bench--cancel-unfinished streams)
       (signal (car err) (cdr err))))
    (let* ((lateness (and probe (llm-native-bench--probe-stop)))
           (measured (llm-native-bench--delta before))
           (last-done (apply #'max (mapcar (lambda (s) (plist-get (funcall s) :done-at)) streams)))
           (expected (funcall expected-fn))
           (errors (delq nil (mapcar (lambda (s) (plist-get (funcall s) :error)) streams))))
      ;; Wall time ends at the last response callback, not when the wait loop noticed it.
      (setq measured (plist-put measured :wall (- last-done (plist-get before :time))))
      (append measured lateness
              (list :text-ok (and (null errors)
                                  (cl-every (lambda (s) (equal (plist-get (funcall s) :text) expected))
                                            streams))
                    :errors (length errors)
                    :error-text (car errors)
                    :partials (apply #'+ (mapcar (lambda (s) (plist-get (funcall s) :partials))
                                                 streams)))))))

;;;; Scenarios

(defconst llm-native-bench--throughput-tokens 20000 "Tokens of the throughput stream.")

(defun llm-native-bench--throughput-scenario ()
  "Register the throughput stream: 20,000 mixed tokens as fast as possible."
  (llm-native-bench--scenario
   (list :generate (list :dialect "openai-chat" :tokens llm-native-bench--throughput-tokens))))

(defun llm-native-bench-throughput (base)
  "One run of scenario 1 against BASE (from the throughput scenario)."
  (let* ((provider (llm-native-bench--openai base))
         (result (llm-native-bench--run-streams
                  (lambda () (list (llm-native-bench--stream provider)))
                  (lambda () (llm-native-bench--expected base)))))
    (append result (list :tokens-per-s (/ llm-native-bench--throughput-tokens
                                          (max 1e-6 (plist-get result :wall)))))))

(defun llm-native-bench-responsiveness (base)
  "One run of scenario 3: the throughput stream from BASE with the lateness probe."
  (llm-native-bench--run-streams
   (lambda () (list (llm-native-bench--stream (llm-native-bench--openai base))))
   (lambda () (llm-native-bench--expected base))
   t))

(defun llm-native-bench-latency ()
  "One run of scenario 2: 200 time-stamped tokens, one every 20 ms."
  (let* ((base (llm-native-bench--scenario
                (list :generate (list :dialect "openai-chat" :tokens 200 :interval_ms 20
                                      :timestamps t :text ["tok "]))))
         (delays nil)
         (seen 0)
         (result
          (llm-native-bench--run-streams
           (lambda ()
             (list (llm-native-bench--stream
                    (llm-native-bench--openai base)
                    :on-partial
                    (lambda (text)
                      (let ((now (float-time)))
                        ;; Each new "<send time>|tok " since the last partial is one token.
                        (while (string-match "\\([0-9]+\\.[0-9]+\\)|" text seen)
                          (push (- now (string-to-number (match-string 1 text))) delays)
                          (setq seen (match-end 0))))))))
           (lambda () (llm-native-bench--expected base)))))
    (append result
            (list :latency-p50 (llm-native-bench--percentile delays 0.5)
                  :latency-p99 (llm-native-bench--percentile delays 0.99)
                  :latency-max (if delays (apply #'max delays) 0)
                  :latency-samples (length delays)))))

(defun llm-native-bench-concurrency (base &optional streams provider)
  "One run of scenario 4: 50 streams of 1,000 tokens at once from BASE.
STREAMS, if given, replaces 50 (the bounded variant).  PROVIDER, if
given, replaces the OpenAI-compatible one; it must reach BASE."
  (let ((provider (or provider (llm-native-bench--openai base))))
    (llm-native-bench--run-streams
     (lambda () (cl-loop repeat (or streams 50) collect (llm-native-bench--stream provider)))
     (lambda () (llm-native-bench--expected base))
     t)))

(defconst llm-native-bench--ascii-tokens
  ["The " "answer " "is " "plain " "English, " "as " "most " "are.\n"]
  "Tokens of the ASCII variant of the concurrency scenario, 5.25 bytes on average.
The fake server's own tokens mix scripts; Emacs allocates a module's
non-ASCII string twice, an ASCII one once.")

(defun llm-native-bench-concurrency-ollama (base)
  "One run of the 50-stream burst from BASE through an Ollama provider.
Ollama is Ellama's default provider, and beside the real llm its calls
skip llm's non-free check, which an OpenAI-compatible provider pays on
every start."
  (let ((llm-native-url-overrides (list (cons 'llm-ollama base))))
    (llm-native-bench-concurrency base nil (make-llm-ollama :chat-model "bench-model"))))

(defconst llm-native-bench--big-record-bytes (* 4 1024 1024) "Size of the big record.")

(defvar llm-gemini--base-url)

(defun llm-native-bench-big-gemini (base)
  "One run of scenario 5 with Gemini's JSON array from BASE (a 4 MiB element).
The incumbent (`llm-native-mode' off) is aimed at BASE through llm's
own base URL, as it does not read `llm-native-url-overrides'."
  (if (not llm-native-mode)
      (let ((llm-gemini--base-url (concat base "/v1beta/models/")))
        (llm-native-bench--run-streams
         (lambda () (list (llm-native-bench--stream
                           (make-llm-gemini :key "bench-key" :chat-model "bench-model"))))
         (lambda () (llm-native-bench--expected base))
         t))
    (llm-native-bench--big-gemini-native base)))

(defun llm-native-bench--big-gemini-native (base)
  "One run of scenario 5 with Gemini's JSON array from BASE on llm-native."
  (let ((llm-native-url-overrides (list (cons 'llm-gemini base))))
    (llm-native-bench--run-streams
     (lambda () (list (llm-native-bench--stream
                       (make-llm-gemini :key "bench-key" :chat-model "bench-model"))))
     (lambda () (llm-native-bench--expected base))
     t)))

(defun llm-native-bench-big-sse (base)
  "One run of scenario 5 with one 4 MiB SSE event from BASE (OpenAI-compatible).
The incumbent (`llm-native-mode' off) gets BASE as the provider's URL."
  (let ((llm-native-url-overrides (list (cons 'llm-openai-compatible (concat base "/v1/")))))
    (llm-native-bench--run-streams
     (lambda () (list (llm-native-bench--stream
                       (make-llm-openai-compatible :url (if llm-native-mode "http://unused.invalid/v1/"
                                                          (concat base "/v1/"))
                                                   :key "bench-key" :chat-model "bench-model"))))
     (lambda () (llm-native-bench--expected base))
     t)))

(defun llm-native-bench--big-scenario (dialect)
  "Register a stream of DIALECT whose first text delta is 4 MiB."
  (llm-native-bench--scenario
   (list :generate (list :dialect dialect :tokens 20
                         :big_record_bytes llm-native-bench--big-record-bytes))))

(defun llm-native-bench-heavy-consumer (base)
  "One run of scenario 6: 4,000 tokens from BASE to an Ellama-like consumer.
Like Ellama's, the callback replaces the whole response in a buffer
with the filtered accumulated text, so its work grows with the text."
  (let ((buffer (get-buffer-create " *llm-native-bench-consumer*")))
    (with-current-buffer buffer (erase-buffer))
    (prog1
        (llm-native-bench--run-streams
         (lambda ()
           (list (llm-native-bench--stream
                  (llm-native-bench--openai base)
                  :on-partial
                  (lambda (text)
                    (with-current-buffer buffer
                      (erase-buffer)
                      ;; A markdown-to-org style pass over the whole text, as Ellama does.
                      (insert (replace-regexp-in-string "`\\([^`]*\\)`" "=\\1=" text t)))))))
         (lambda () (llm-native-bench--expected base))
         t)
      (kill-buffer buffer))))

(defconst llm-native-bench--memory-requests 10000 "Requests of the memory scenario.")
(defconst llm-native-bench--memory-batch 50 "Requests in flight at once in the memory scenario.")

(defun llm-native-bench--short-requests (base count)
  "Run COUNT short streaming requests to BASE, a batch at a time.
Return (FAILURES . WRONG-TEXTS)."
  (let ((provider (llm-native-bench--openai base))
        (expected (progn
                    (let ((s (llm-native-bench--stream (llm-native-bench--openai base))))
                      (llm-native-bench--wait (lambda () (llm-native-bench--finished-p s)) 30))
                    (llm-native-bench--expected base)))
        (failures 0) (wrong 0) (left count))
    (while (> left 0)
      (let ((streams (cl-loop repeat (min left llm-native-bench--memory-batch)
                              collect (llm-native-bench--stream provider :timeout 60))))
        (llm-native-bench--wait (lambda () (cl-every #'llm-native-bench--finished-p streams)) 60)
        (dolist (s streams)
          (let ((state (funcall s)))
            (cond ((plist-get state :error) (cl-incf failures))
                  ((not (equal (plist-get state :text) expected)) (cl-incf wrong)))))
        (cl-decf left (length streams))))
    (cons failures wrong)))

(defun llm-native-bench-memory ()
  "Scenario 7: resident memory and descriptors around 10,000 short requests."
  (let ((base (llm-native-bench--scenario
               (list :generate (list :dialect "openai-chat" :tokens 5)))))
    ;; Warm up first, so that one-time allocations (the engine, curl's
    ;; connection cache, Lisp's heap) are in the "before" figure.
    (llm-native-bench--short-requests base 500)
    (garbage-collect)
    (let* ((rss-before (llm-native-bench--rss-kib))
           (fds-before (llm-native-bench--fd-count))
           (sockets-before (llm-native-bench--fd-count t))
           (before (llm-native-bench--snapshot))
           (outcome (llm-native-bench--short-requests base llm-native-bench--memory-requests))
           (measured (llm-native-bench--delta before)))
      (garbage-collect)
      (let ((rss-after (llm-native-bench--rss-kib))
            (fds-after (llm-native-bench--fd-count))
            (sockets-after (llm-native-bench--fd-count t)))
        (append measured
                (list :rss-before-kib rss-before :rss-after-kib rss-after
                      :rss-growth-kib (- rss-after rss-before)
                      :fds-before fds-before :fds-after fds-after
                      :fd-growth (- fds-after fds-before)
                      :sockets-before sockets-before :sockets-after sockets-after
                      :non-socket-fd-growth (- (- fds-after sockets-after)
                                               (- fds-before sockets-before))
                      :requests llm-native-bench--memory-requests
                      :errors (car outcome)
                      :text-ok (and (zerop (car outcome)) (zerop (cdr outcome)))))))))

(declare-function llm-native-hostile--url "llm-native-hostile-test")

(defun llm-native-bench-flood ()
  "Scenario flood: a million tiny SSE events from the hostile server, as records.
Measures the worst main-loop stall (the probe's lateness) and the peak
RSS growth over the run, sampled every 50 ms."
  (require 'llm-native-hostile-test)
  (garbage-collect)
  (let* ((url (llm-native-hostile--url "/flood?n=1000000"))
         (rss-before (llm-native-bench--rss-kib))
         (peak rss-before)
         (sampler (run-at-time 0.05 0.05 (lambda () (setq peak (max peak (llm-native-bench--rss-kib))))))
         (count 0) (in-order t) (status nil) (start (float-time)))
    (unwind-protect
        (progn
          (llm-native-bench--probe-start)
          (llm-native-request :url url :format 'sse
                              :on-record (lambda (r)
                                           (unless (equal (plist-get r :data) "x") (setq in-order nil))
                                           (cl-incf count))
                              :on-done (lambda (info) (setq status (plist-get info :status)))
                              :on-error (lambda (symbol message _) (setq status (list symbol message))))
          (llm-native-bench--wait (lambda () status) 600))
      (cancel-timer sampler))
    (append (llm-native-bench--probe-stop)
            (list :wall (- (float-time) start)
                  :events count
                  :rss-before-kib rss-before
                  :rss-peak-growth-kib (- peak rss-before)
                  :text-ok (and (eql status 200) (= count 1000000) in-order)))))

(defun llm-native-bench-curl (base)
  "One run of scenario 8a: curl(1) fetches the stream of BASE to /dev/null.
CPU is curl's own (this Emacs's waited-for children)."
  (let* ((before (llm-native-bench--snapshot))
         (status (call-process "curl" nil nil nil "-sS" "-o" "/dev/null" "-X" "POST"
                               "-H" "Content-Type: application/json"
                               "--data-binary" "{\"model\":\"bench-model\",\"stream\":true}"
                               (concat base "/v1/chat/completions")))
         (measured (llm-native-bench--delta before)))
    (list :wall (plist-get measured :wall)
          :cpu (plist-get measured :child-cpu)
          :text-ok (eql status 0))))

(defun llm-native-bench--core-bench-program ()
  "Return the core_bench executable, or nil when it is not built."
  (let ((program (expand-file-name (or (getenv "LLM_NATIVE_CORE_BENCH")
                                       (concat (or (getenv "BUILD") "build")
                                               "/tests/bench/core_bench"))
                                   llm-native-bench--root)))
    (and (file-executable-p program) program)))

(defun llm-native-bench-core (base runs)
  "Scenario 8b: the core alone fetches the throughput stream of BASE RUNS times.
The program is core_bench (tests/bench/core_bench.cpp).  Return a
list of per-run plists; signal an error if it is not built."
  (let ((program (llm-native-bench--core-bench-program))
        (out (make-temp-file "llm-native-core-bench")))
    (unless program
      (error "core_bench is not built (cmake --build build --target core_bench)"))
    (unwind-protect
        (with-temp-buffer
          (let ((status (call-process program nil t nil "--url" (concat base "/v1/chat/completions")
                                      "--runs" (number-to-string runs) "--out" out)))
            (let* ((expected (llm-native-bench--expected base))
                   (text (with-temp-buffer
                           (set-buffer-multibyte nil)
                           (insert-file-contents-literally out)
                           (buffer-string)))
                   (text-ok (and (eql status 0)
                                 (equal text (encode-coding-string expected 'utf-8 t))))
                   (lines (split-string (buffer-string) "\n" t)))
              (mapcar (lambda (line)
                        (let ((run (json-parse-string line :object-type 'plist
                                                      :false-object nil)))
                          (list :wall (plist-get run :wall_s)
                                :cpu (plist-get run :cpu_s)
                                :main-cpu (plist-get run :main_cpu_s)
                                :partials (plist-get run :progress)
                                :text-ok (and text-ok (plist-get run :ok)))))
                      lines))))
      (delete-file out))))

;;;; Start path, busy core, warm connections

(defconst llm-native-bench--starts 200 "Requests the start-path scenario starts.")

(defun llm-native-bench--bytes-consed (before after)
  "Bytes allocated between the `memory-use-counts' BEFORE and AFTER.
Conses and floats are 16 bytes, vector slots 8, strings 32 plus their
bytes (symbols and intervals are left out: a start makes none)."
  (cl-flet ((d (i) (- (nth i after) (nth i before))))
    (+ (* 16 (d 0)) (* 16 (d 1)) (* 8 (d 2)) (d 4) (* 32 (d 6)))))

(defun llm-native-bench-start-path (base)
  "One run of the start-path scenario: 200 `llm-chat-streaming' calls to BASE.
Each call is timed alone, from the call to its return, with the bytes
it consed; the answers are awaited afterwards, outside the measurement.
The prompts are made beforehand: making one is the caller's cost."
  (let* ((provider (llm-native-bench--openai base))
         (prompts (cl-loop repeat llm-native-bench--starts collect (llm-make-chat-prompt "Go")))
         (done 0) (times nil) (bytes nil)
         (on-done (lambda (_) (cl-incf done)))
         (gcs gcs-done) (gc-time gc-elapsed))
    (garbage-collect)
    (setq gcs gcs-done gc-time gc-elapsed)
    (let ((start (float-time)))
      (dolist (prompt prompts)
        (let* ((m0 (memory-use-counts))
               (t0 (float-time)))
          (llm-chat-streaming provider prompt #'ignore on-done on-done)
          (push (- (float-time) t0) times)
          (push (llm-native-bench--bytes-consed m0 (memory-use-counts)) bytes)))
      (let ((elapsed (- (float-time) start))
            (gcs (- gcs-done gcs)) (gc-time (- gc-elapsed gc-time)))
        (llm-native-bench--wait (lambda () (= done llm-native-bench--starts)) 60)
        (list :start-p50 (llm-native-bench--percentile times 0.5)
              :start-p99 (llm-native-bench--percentile times 0.99)
              :start-mean (/ elapsed llm-native-bench--starts)
              :bytes-p50 (llm-native-bench--percentile bytes 0.5)
              :bytes-mean (/ (apply #'+ bytes) llm-native-bench--starts)
              :gcs gcs :gc-time gc-time
              :text-ok t)))))

(defconst llm-native-bench--session-heap-mb 64
  "Live Lisp data, in MB, that stands in for a session's heap.")

(defconst llm-native-bench--session-heap-runs 20
  "Runs of the session-heap scenario: enough for a few collections to fall.")

(defvar llm-native-bench--session-heap nil
  "The live data of the session-heap scenario while it runs.")

(defun llm-native-bench-concurrency-session-heap (base)
  "The 50-stream runs from BASE beside a session-sized heap; return their plists.
With `llm-native-bench--session-heap-mb' of live data the collector runs
once every tenth of that consed (`gc-cons-percentage'), and marks all of
it each time: collections are rarer than in the bare batch Emacs, and
longer, as in a user's Emacs.  Runs do not start from a collection, so
what they cons adds up; each run's :gcs-so-far counts the collections
since the first run."
  (let ((llm-native-bench--collect-first nil)
        (gcs gcs-done))
    (unwind-protect
        (progn
          (setq llm-native-bench--session-heap
                (make-list (/ (* llm-native-bench--session-heap-mb 1024 1024) 16) nil))
          (garbage-collect)
          (setq gcs gcs-done)
          (cl-loop repeat llm-native-bench--session-heap-runs
                   collect (let ((run (llm-native-bench-concurrency base)))
                             (append run (list :gcs-so-far (- gcs-done gcs))))))
      (setq llm-native-bench--session-heap nil)
      (garbage-collect))))

(defun llm-native-bench--with-busy-core (function)
  "Call FUNCTION while `yes >/dev/null' keeps one core busy; return its value."
  (let ((busy (make-process :name "llm-native-bench-busy" :noquery t :connection-type 'pipe
                            :command '("sh" "-c" "exec yes >/dev/null"))))
    (unwind-protect (progn (sleep-for 0.2) (funcall function))
      (delete-process busy))))

(defconst llm-native-bench--rtt-delay-ms 25
  "Delay the latency proxy adds each way: one round trip is twice this.")

(defconst llm-native-bench--ttft-chats 10 "Sequential chats of each time-to-first-token mode.")

(defun llm-native-bench--latency-proxy (port)
  "Start the latency proxy in front of 127.0.0.1:PORT; return (PROCESS . PORT)."
  (llm-native-test-latency-proxy port llm-native-bench--rtt-delay-ms))

(defun llm-native-bench--ttft-chat (url prompt)
  "Stream a chat from URL (TLS, self-signed) with the canonical PROMPT.
Return the time to first token: from the call to the first partial
text.  The chat is awaited whole."
  (let* ((start (float-time)) (first nil) (done nil) (failure nil))
    (llm-native--chat-request
     :url url :headers '(("Authorization" . "Bearer bench-key")) :dialect "openai-chat"
     :prompt prompt :streaming t :insecure t
     :on-progress (lambda (_text _reasoning) (unless first (setq first (float-time))))
     :on-done (lambda (_) (setq done t))
     :on-error (lambda (_s message _i) (setq done t failure message)))
    (llm-native-bench--wait (lambda () done) 30)
    (when failure (error "Chat failed: %s" failure))
    (- first start)))

(defun llm-native-bench--ttft-curl (url body)
  "Run curl(1) once per request on URL with BODY as llm+plz does; return TTFT.
TTFT runs from starting curl to the first answer bytes reaching Emacs."
  (let* ((start (float-time)) (first nil) (done nil)
         (process (make-process
                   :name "llm-native-bench-curl" :noquery t :connection-type 'pipe
                   :coding 'binary
                   :command (list "curl" "-sN" "--insecure" "-X" "POST"
                                  "-H" "Content-Type: application/json"
                                  "-H" "Authorization: Bearer bench-key"
                                  "--data-binary" body url)
                   :filter (lambda (_p _out) (unless first (setq first (float-time))))
                   :sentinel (lambda (_p _e) (setq done t)))))
    (llm-native-bench--wait (lambda () done) 30)
    (unless (and first (eql 0 (process-exit-status process)))
      (error "curl failed on %s" url))
    (- first start)))

(defun llm-native-bench--concurrent (url prompt proxy)
  "Start ten chats on URL with PROMPT at once on a new engine; wait for them.
Return (:concurrent-connections N :concurrent-wall S): the connections
the latency PROXY accepted for them, and the time until the last ended."
  (llm-native-close)
  (llm-native--runtime)
  (let ((before (llm-native-test-proxy-connections proxy))
        (left llm-native-bench--ttft-chats)
        (failure nil)
        (start (float-time)))
    (dotimes (_ llm-native-bench--ttft-chats)
      (llm-native--chat-request
       :url url :headers '(("Authorization" . "Bearer bench-key"))
       :dialect "openai-chat" :prompt prompt :streaming t :insecure t
       :on-done (lambda (_) (cl-decf left))
       :on-error (lambda (_s message _i) (cl-decf left) (setq failure message))))
    (llm-native-bench--wait (lambda () (zerop left)) 30)
    (when failure (error "A concurrent stream failed: %s" failure))
    (list :concurrent-wall (- (float-time) start)
          :concurrent-connections (- (llm-native-test-proxy-connections proxy) before))))

(defun llm-native-bench--ttft-modes (url prompt proxy &optional curl-body)
  "Ten cold and ten warm chats on URL with PROMPT, through the latency PROXY.
Cold: a new engine, so a new connection and a full TLS handshake, each
time.  Warm: one kept connection (opened by a first chat, not counted).
With CURL-BODY, also ten runs of curl started per request, as llm+plz
and gptel do.  Then ten chats at once (`llm-native-bench--concurrent').
Return one plist per chat; the summary takes medians over the ten."
  (let ((rows nil))
    (dotimes (_ llm-native-bench--ttft-chats)
      (llm-native-close)
      (llm-native--runtime)
      (push (list :cold (llm-native-bench--ttft-chat url prompt)) rows))
    (llm-native-bench--ttft-chat url prompt)
    (let ((before (llm-native-test-proxy-connections proxy)))
      (setq rows (mapcar (lambda (row)
                           (append row (list :warm (llm-native-bench--ttft-chat url prompt))))
                         rows))
      (setq rows (mapcar (lambda (row)
                           (append row (list :warm-connections
                                             (- (llm-native-test-proxy-connections proxy)
                                                before))))
                         rows)))
    (when curl-body
      (setq rows (mapcar (lambda (row)
                           (append row (list :curl (llm-native-bench--ttft-curl url curl-body))))
                         rows)))
    (let ((extra (append (llm-native-bench--concurrent url prompt proxy)
                         (list :rtt (/ (* 2 llm-native-bench--rtt-delay-ms) 1000.0) :text-ok t))))
      (mapcar (lambda (row) (append row extra)) rows))))

(defun llm-native-bench--tls-url (base port)
  "The chat URL of the scenario BASE on 127.0.0.1:PORT over https."
  (format "https://127.0.0.1:%d%s/v1/chat/completions" port
          (substring base (string-match "/s/" base))))

(defun llm-native-bench--port-of (base)
  "The port of the URL BASE."
  (string-to-number (nth 2 (split-string base "[:/]" t))))

(defun llm-native-bench--canonical (base)
  "The canonical prompt JSON of a short chat to the scenario BASE."
  (llm-native--serialize
   (llm-native--canonical-prompt (llm-native-bench--openai base) (llm-make-chat-prompt "Go")
                                 "openai-chat")))

(defun llm-native-bench-ttft (tls-base)
  "The time-to-first-token scenario over TLS (HTTP/1.1) through the latency proxy.
TLS-BASE is a short scenario's base URL on the fake server's TLS
listener.  See `llm-native-bench--ttft-modes'."
  (let ((proxy (llm-native-bench--latency-proxy (llm-native-bench--port-of tls-base)))
        (prompt (llm-native-bench--canonical tls-base)))
    (unwind-protect
        (llm-native-bench--ttft-modes
         (llm-native-bench--tls-url tls-base (cdr proxy)) prompt proxy
         (llm-native--build-body "openai-chat" prompt t))
      (llm-native-test-stop-process (car proxy)))))

(defun llm-native-bench-h2 (base)
  "The time-to-first-token scenario over HTTP/2, through the latency proxy.
nghttpx (Debian package nghttp2-proxy) is the TLS HTTP/2 front of the
fake server's plain listener, BASE being a short scenario's base URL
there: Python's ssl and asyncio cannot speak HTTP/2 without the h2
package.  Return one plist per chat, or a plist saying why not run."
  (let ((front (llm-native-test-h2-front (llm-native-bench--port-of base))))
    (if (not front)
        (list :skipped "nghttpx (Debian package nghttp2-proxy) not installed")
      (let ((proxy (llm-native-bench--latency-proxy (cdr front))))
        (unwind-protect
            (llm-native-bench--ttft-modes (llm-native-bench--tls-url base (cdr proxy))
                                          (llm-native-bench--canonical base) proxy
                                          (llm-native--build-body
                                           "openai-chat" (llm-native-bench--canonical base) t))
          (llm-native-test-stop-process (car proxy))
          (llm-native-test-stop-process (car front)))))))

;;;; Summaries

(defun llm-native-bench--median (values)
  "Return the median of the numbers VALUES."
  (let* ((sorted (sort (copy-sequence values) #'<))
         (n (length sorted)))
    (if (cl-oddp n) (nth (/ n 2) sorted)
      (/ (+ (nth (1- (/ n 2)) sorted) (nth (/ n 2) sorted)) 2.0))))

(defun llm-native-bench--summarize (runs)
  "Return the summary plist of RUNS, a list of measured plists.
A number becomes (:median M :min A :max B), a boolean the AND of all
runs, anything else the value of the last run."
  (let ((keys (cl-loop for (key _) on (car runs) by #'cddr collect key))
        (summary nil))
    (dolist (key keys)
      (let ((values (mapcar (lambda (run) (plist-get run key)) runs)))
        (setq summary
              (append summary
                      (list key
                            (cond ((cl-every #'numberp values)
                                   (list :median (llm-native-bench--median values)
                                         :min (apply #'min values) :max (apply #'max values)))
                                  ((eq key :text-ok) (cl-every #'identity values))
                                  (t (car (last values)))))))))
    summary))

(defun llm-native-bench--repeat (runs function &rest args)
  "Call FUNCTION with ARGS RUNS times; return the list of its results."
  (cl-loop repeat runs collect (apply function args)))

(defun llm-native-bench--round (value)
  "Round the float VALUE to 6 decimals; leave other values alone."
  (if (floatp value) (/ (fround (* value 1e6)) 1e6) value))

(defun llm-native-bench--jsonable (value)
  "Turn VALUE, plists of numbers, strings and booleans, into JSON input.
The result is what `json-serialize' takes."
  (cond ((and (consp value) (keywordp (car value)))
         (let ((table (make-hash-table :test 'equal)))
           (cl-loop for (key val) on value by #'cddr
                    do (puthash (replace-regexp-in-string
                                 "-" "_" (substring (symbol-name key) 1))
                                (llm-native-bench--jsonable val) table))
           table))
        ((consp value) (vconcat (mapcar #'llm-native-bench--jsonable value)))
        ((eq value t) t)
        ((null value) :false)
        ((numberp value) (llm-native-bench--round value))
        (t value)))

;;;; The table

(defun llm-native-bench--figure (summary key &optional scale unit)
  "Return KEY's median in SUMMARY as text, times SCALE, with UNIT and the range."
  (let ((entry (plist-get summary key))
        (scale (or scale 1)))
    (cond ((null entry) "n/a")
          ((numberp entry) (format "%s%s" entry (or unit "")))
          ((plist-get entry :median)
           (let ((fmt (lambda (x)
                        (let ((v (* x scale)))
                          (if (and (integerp x) (= scale 1)) (format "%d" v)
                            (format (if (< (abs v) 10) "%.3g" "%.0f") v))))))
             (if (= (plist-get entry :min) (plist-get entry :max))
                 (format "%s%s" (funcall fmt (plist-get entry :median)) (or unit ""))
               (format "%s%s [%s-%s]" (funcall fmt (plist-get entry :median)) (or unit "")
                       (funcall fmt (plist-get entry :min)) (funcall fmt (plist-get entry :max))))))
          (t (format "%s" entry)))))

(defconst llm-native-bench--rows
  '(("throughput" (:main-cpu "main-thread CPU" 1 " s" "< 0.2 s" "llm 16.6 s (15.2 s GC); gptel 0.65 s")
     (:cpu "process CPU" 1 " s" "" "")
     (:wall "wall" 1 " s" "" "")
     (:gcs "GCs" 1 "" "" "")
     (:gc-time "GC time" 1 " s" "" "llm 15.2 s")
     (:partials "partial callbacks" 1 "" "" "llm 20,002")
     (:tokens-per-s "tokens/s" 1 "" "" "")
     (:text-ok "text exact" 1 "" "exact" ""))
    ("latency" (:latency-p50 "p50 write->callback" 1000 " ms" "" "")
     (:latency-p99 "p99 write->callback" 1000 " ms" "< 2 ms" "llm 10 ms")
     (:latency-max "max write->callback" 1000 " ms" "" "")
     (:text-ok "text exact" 1 "" "exact" ""))
    ("responsiveness" (:late-p50 "p50 timer lateness" 1000 " ms" "" "")
     (:late-p99 "p99 timer lateness" 1000 " ms" "" "")
     (:late-max "max timer lateness" 1000 " ms" "< 5 ms" "llm 114 ms")
     (:main-cpu "main-thread CPU" 1 " s" "" "")
     (:text-ok "text exact" 1 "" "exact" ""))
    ("concurrency" (:wall "wall" 1 " s" "< 2 s" "llm 340 s")
     (:main-cpu "main-thread CPU" 1 " s" "< 0.5 s" "")
     (:cpu "process CPU" 1 " s" "" "")
     (:late-max "max timer lateness" 1000 " ms" "< 5 ms" "gptel 300-500 ms")
     (:gcs "GCs" 1 "" "" "")
     (:consed "bytes consed" 1 "" "" "")
     (:partials "partial callbacks" 1 "" "" "")
     (:text-ok "50 texts exact" 1 "" "exact" ""))
    ("concurrency-ascii" (:late-max "max timer lateness" 1000 " ms" "< 5 ms" "")
     (:gcs "GCs" 1 "" "" "")
     (:consed "bytes consed" 1 "" "" "")
     (:partials "partial callbacks" 1 "" "" "")
     (:text-ok "50 texts exact" 1 "" "exact" ""))
    ("concurrency-ascii-ollama" (:late-max "max timer lateness" 1000 " ms" "< 5 ms" "")
     (:gcs "GCs" 1 "" "" "")
     (:consed "bytes consed" 1 "" "" "")
     (:text-ok "50 texts exact" 1 "" "exact" ""))
    ("concurrency-10x1000" (:wall "wall (10 x 1,000 tokens)" 1 " s" "" "")
     (:main-cpu "main-thread CPU" 1 " s" "" "")
     (:cpu "process CPU" 1 " s" "" "")
     (:child-cpu "child process CPU" 1 " s" "" "")
     (:late-max "max timer lateness" 1000 " ms" "" "")
     (:partials "partial callbacks" 1 "" "" "")
     (:text-ok "10 texts exact" 1 "" "exact" ""))
    ("big-record-json-array" (:main-cpu "main-thread CPU" 1 " s" "< 0.05 s" "")
     (:late-max "max timer lateness" 1000 " ms" "" "")
     (:wall "wall" 1 " s" "" "")
     (:text-ok "text exact" 1 "" "exact" ""))
    ("big-record-sse" (:main-cpu "main-thread CPU" 1 " s" "< 0.05 s" "")
     (:late-max "max timer lateness" 1000 " ms" "" "")
     (:wall "wall" 1 " s" "" "")
     (:text-ok "text exact" 1 "" "exact" ""))
    ("heavy-consumer" (:wall "wall" 1 " s" "< 2 s" "")
     (:late-max "max timer lateness" 1000 " ms" "" "")
     (:main-cpu "main-thread CPU" 1 " s" "" "")
     (:partials "partial callbacks" 1 "" "" "")
     (:text-ok "text exact" 1 "" "exact" ""))
    ("memory" (:rss-before-kib "RSS before" 1 " KiB" "" "")
     (:rss-after-kib "RSS after" 1 " KiB" "" "")
     (:rss-growth-kib "RSS growth" 1 " KiB" "< 8192 KiB" "")
     (:fd-growth "descriptor growth" 1 "" "0" "")
     (:sockets-after "sockets after" 1 "" "" "")
     (:non-socket-fd-growth "non-socket fd growth" 1 "" "0" "")
     (:wall "wall (10,000 requests)" 1 " s" "" "")
     (:text-ok "all texts exact" 1 "" "exact" ""))
    ("flood" (:late-max "worst main-loop stall" 1000 " ms" "< 100 ms" "before issue 12: 9.3 s")
     (:rss-peak-growth-kib "peak RSS growth" 1 " KiB" "" "before issue 12: 370 MB")
     (:wall "wall (10^6 events)" 1 " s" "" "")
     (:text-ok "all events, in order" 1 "" "exact" ""))
    ("start-path" (:start-p50 "per start, p50" 1e6 " us" "< 100 us" "")
     (:start-p99 "per start, p99" 1e6 " us" "" "")
     (:start-mean "per start, mean with GC" 1e6 " us" "" "")
     (:bytes-p50 "bytes consed per start" 1 "" "" "")
     (:gcs "GCs in 200 starts" 1 "" "" "")
     (:gc-time "GC time in 200 starts" 1000 " ms" "" ""))
    ("responsiveness-busy" (:late-max "max timer lateness" 1000 " ms" "< 5 ms" "")
     (:late-p99 "p99 timer lateness" 1000 " ms" "" "")
     (:gcs "GCs" 1 "" "" "")
     (:text-ok "text exact" 1 "" "exact" ""))
    ("concurrency-busy" (:late-max "max timer lateness" 1000 " ms" "< 5 ms" "")
     (:late-p99 "p99 timer lateness" 1000 " ms" "" "")
     (:wall "wall" 1 " s" "" "")
     (:gcs "GCs" 1 "" "" "")
     (:consed "bytes consed" 1 "" "" "")
     (:text-ok "50 texts exact" 1 "" "exact" ""))
    ("concurrency-session-heap" (:late-max "max timer lateness" 1000 " ms" "< 5 ms" "")
     (:gcs-so-far "GCs, all runs (max)" 1 "" "" "")
     (:gc-time "GC time" 1000 " ms" "" "")
     (:consed "bytes consed" 1 "" "" "")
     (:text-ok "50 texts exact" 1 "" "exact" ""))
    ("ttft-tls" (:rtt "RTT added (proxy)" 1000 " ms" "" "")
     (:cold "TTFT cold (new conn.)" 1000 " ms" "" "")
     (:warm "TTFT warm (kept conn.)" 1000 " ms" "curl - 1 RTT" "")
     (:curl "TTFT curl per request" 1000 " ms" "" "llm+plz, gptel")
     (:warm-connections "new conns, 10 warm" 1 "" "0" "")
     (:concurrent-connections "conns for 10 at once" 1 "" "" "")
     (:concurrent-wall "10 at once: wall" 1000 " ms" "" ""))
    ("ttft-h2" (:rtt "RTT added (proxy)" 1000 " ms" "" "")
     (:cold "TTFT cold (new conn.)" 1000 " ms" "" "")
     (:warm "TTFT warm (kept conn.)" 1000 " ms" "curl - 1 RTT" "")
     (:curl "TTFT curl per request" 1000 " ms" "" "")
     (:warm-connections "new conns, 10 warm" 1 "" "0" "")
     (:concurrent-connections "conns for 10 at once" 1 "" "1" "")
     (:concurrent-wall "10 at once: wall" 1000 " ms" "" ""))
    ("limit-curl" (:wall "wall" 1 " s" "" "")
     (:cpu "curl CPU" 1 " s" "" "")
     (:text-ok "exit 0" 1 "" "" ""))
    ("limit-core" (:wall "wall" 1 " s" "" "")
     (:cpu "process CPU" 1 " s" "" "")
     (:main-cpu "polling thread CPU" 1 " s" "" "")
     (:text-ok "text exact" 1 "" "exact" ""))
    ("log-cost" (:small-off "200 small chats, log off" 1 " s" "" "")
     (:small-info "200 small chats, info" 1 " s" "" "")
     (:small-debug "200 small chats, debug" 1 " s" "" "")
     (:main-cpu-off "  main-thread CPU, off" 1 " s" "" "")
     (:main-cpu-info "  main-thread CPU, info" 1 " s" "" "")
     (:stream-off "20k-token stream, off" 1 " s" "" "")
     (:stream-info "20k-token stream, info" 1 " s" "" "")
     (:hooks-off "start+end hooks, off" 1e6 " us" "" "")
     (:hooks-info "start+end hooks, info" 1e6 " us" "" "")
     (:text-ok "texts exact" 1 "" "exact" "")))
  "Per scenario, the table rows: (KEY LABEL SCALE UNIT TARGET INCUMBENT).")

(defun llm-native-bench--print-table (results)
  "Print RESULTS, a list of (NAME . SUMMARY), as a table."
  (let ((line (make-string 118 ?-)))
    (princ (format "\n%s\n%-22s %-22s %-30s %-12s %s\n%s\n" line
                   "scenario" "figure" "median [min-max]" "target" "incumbent / peer" line))
    (dolist (result results)
      (let ((name (car result)) (summary (cdr result)) (first t))
        (cond
         ((plist-get summary :failed)
          (princ (format "%-22s FAILED: %s\n" name (plist-get summary :failed))))
         ((plist-get summary :timed-out-after-s)
          (princ (format "%-22s timed out after %s s\n" name (plist-get summary :timed-out-after-s))))
         ((plist-get summary :skipped)
          (princ (format "%-22s not run: %s\n" name (plist-get summary :skipped))))
         (t
          (dolist (row (cdr (assoc name llm-native-bench--rows)))
            (pcase-let ((`(,key ,label ,scale ,unit ,target ,incumbent) row))
              (princ (format "%-22s %-22s %-30s %-12s %s\n" (if first name "") label
                             (llm-native-bench--figure summary key scale unit)
                             target incumbent))
              (setq first nil)))))))
    (princ (format "%s\nCPU times come from /proc in clock ticks of %g ms: figures under ~20 ms are coarse.\n"
                   line (/ 1000.0 (llm-native-bench--clock-ticks))))
    (princ (format "Medians of %d runs (memory: 1 run of %d requests); limit-curl CPU is curl's own.\n"
                   llm-native-bench-runs llm-native-bench--memory-requests))
    (princ "Targets and incumbent figures are for comparison, not pass/fail.\n")))

(defun llm-native-bench--incumbent-cell (summary key scale unit first)
  "Return the incumbent's cell for KEY (with SCALE and UNIT) from SUMMARY.
SUMMARY is nil for a scenario the incumbent does not run.  FIRST is
non-nil on the scenario's first row, which alone says why a scenario
has no figures."
  (let ((timed-out (plist-get summary :timed-out-after-s))
        (failed (plist-get summary :failed)))
    (cond ((null summary) (if first "not run" ""))
          (timed-out (if first (format "timed out after %s s" timed-out) ""))
          (failed (if first (truncate-string-to-width (concat "FAILED: " failed) 30 nil nil "...")
                    ""))
          (t (llm-native-bench--figure summary key scale unit)))))

(defun llm-native-bench--print-comparison (results incumbent)
  "Print RESULTS (llm-native's) and INCUMBENT (the incumbent's), as a table.
Both are lists of (NAME . SUMMARY); the incumbent's figures get a
column beside llm-native's."
  (let ((line (make-string 150 ?-)))
    (princ (format "\n%s\n%-22s %-26s %-30s %-30s %-12s %s\n%s\n" line
                   "scenario" "figure" "llm-native median [min-max]"
                   "incumbent (llm+plz, here)" "target" "published incumbent / peer" line))
    (dolist (result results)
      (let* ((name (car result)) (summary (cdr result)) (first t)
             (theirs (cdr (assoc name incumbent))))
        (dolist (row (cdr (assoc name llm-native-bench--rows)))
          (pcase-let ((`(,key ,label ,scale ,unit ,target ,published) row))
            (princ (format "%-22s %-26s %-30s %-30s %-12s %s\n" (if first name "") label
                           (cond ((plist-get summary :timed-out-after-s)
                                  (if first (format "timed out after %s s"
                                                    (plist-get summary :timed-out-after-s))
                                    ""))
                                 ((plist-get summary :failed)
                                  (if first (truncate-string-to-width
                                             (concat "FAILED: " (plist-get summary :failed))
                                             30 nil nil "...")
                                    ""))
                                 ((plist-get summary :skipped)
                                  (if first (truncate-string-to-width
                                             (concat "not run: " (plist-get summary :skipped))
                                             30 nil nil "...")
                                    ""))
                                 (t (llm-native-bench--figure summary key scale unit)))
                           (llm-native-bench--incumbent-cell theirs key scale unit first)
                           target published))
            (setq first nil)))))
    (princ (format "%s\nCPU times come from /proc in clock ticks of %g ms: figures under ~20 ms are coarse.\n"
                   line (/ 1000.0 (llm-native-bench--clock-ticks))))
    (princ (format "llm-native: medians of %d runs (memory: 1 run of %d requests); limit-curl CPU is curl's own.\n"
                   llm-native-bench-runs llm-native-bench--memory-requests))
    (princ (format (concat "Incumbent: llm %s through plz and curl, `llm-native-mode' off, same Emacs and server;"
                           "\n  medians of %d run(s) for throughput, responsiveness and big-record-json-array,"
                           " %d for the others;\n  each run bounded to %d s (big records) or %d s (the others);"
                           " memory and the limit scenarios are not run for it.\n"
                           "llm-native ran beside the same llm (its Lisp compiled against it).\n")
                   (llm-native-bench--incumbent-version)
                   llm-native-bench-incumbent-slow-runs llm-native-bench-incumbent-runs
                   llm-native-bench-incumbent-bound llm-native-bench-incumbent-long-bound))
    (princ "concurrency-10x1000 is the bounded variant (10 streams of 1,000 tokens) both ran.\n")
    (dolist (result (append (mapcar (lambda (r) (cons "llm-native" r)) results)
                            (mapcar (lambda (r) (cons "incumbent" r)) incumbent)))
      (let ((summary (cddr result)))
        (when (plist-get summary :command-error)
          (princ (format "%s %s: Emacs reported %d error(s) outside llm's callbacks, the first: %s\n"
                         (car result) (cadr result) (plist-get summary :command-errors)
                         (plist-get summary :command-error))))
        (cond ((plist-get summary :failed)
               (princ (format "%s %s failed: %s\n" (car result) (cadr result)
                              (plist-get summary :failed))))
              ((stringp (plist-get summary :error-text))
               (princ (format "%s %s: %s error(s), the last: %s\n" (car result) (cadr result)
                              (llm-native-bench--figure summary :errors)
                              (truncate-string-to-width (plist-get summary :error-text) 200
                                                        nil nil "...")))))))
    (princ "Targets and incumbent figures are for comparison, not pass/fail.\n")))

(defun llm-native-bench--incumbent-version ()
  "Return the Package-Version of the llm package that is loaded, or \"?\"."
  (let ((file (locate-library "llm.el" t)))
    (or (and file
             (with-temp-buffer
               (insert-file-contents file)
               (and (re-search-forward "^;+ *\\(?:Package-\\)?Version: *\\([^ \n]+\\)" nil t)
                    (match-string 1))))
        "?")))

(defun llm-native-bench--incumbent-loaded-p ()
  "Return non-nil when the real llm package (with plz) is what is loaded."
  (and (require 'llm-request-plz nil t)
       (featurep 'plz)
       (fboundp 'llm-request-plz-async)))

;;;; Entry point

(defun llm-native-bench--output-file ()
  "Return the file the JSON lines are written to."
  (or (getenv "LLM_NATIVE_BENCH_OUTPUT")
      (expand-file-name (concat (or (getenv "BUILD") "build") "/bench-results.json")
                        llm-native-bench--root)))

(defun llm-native-bench--run-scenario (name runs thunk &optional impl)
  "Run scenario NAME: call THUNK RUNS times, or once when RUNS is nil.
THUNK returns one measured plist, or a list of them when RUNS is nil.
IMPL, when given, names the implementation in the JSON line.  A run
that times out ends the scenario, reported as timed out.
Print its JSON line and return (NAME SUMMARY JSON)."
  (setq llm-native-bench--command-errors nil)
  (let* ((start (float-time))
         (summary
          (condition-case err
              (let ((samples (if runs (llm-native-bench--repeat runs thunk)
                               (let ((value (funcall thunk)))
                                 (if (keywordp (car value)) (list value) value)))))
                (append (list :runs (length samples))
                        (llm-native-bench--summarize samples)))
            (llm-native-bench-timeout (list :timed-out-after-s (cadr err)))
            (error (list :failed (error-message-string err)))))
         (summary (if llm-native-bench--command-errors
                      (append summary
                              (list :command-errors (length llm-native-bench--command-errors)
                                    :command-error (car (last llm-native-bench--command-errors))))
                    summary))
         (json (json-serialize
                (llm-native-bench--jsonable
                 (append (list :scenario name) (and impl (list :impl impl)) summary
                         (list :seconds (- (float-time) start)))))))
    (princ (concat json "\n"))
    (list name summary json)))

;;;; The wire log's cost

(defconst llm-native-bench--log-small 200 "Small chats per log level in the log-cost scenario.")

(defun llm-native-bench--log-hooks (n)
  "Seconds the runtime's request-started and -ended calls take, averaged over N.
They run on a fake handle with no meter, so only the Lisp side is timed."
  (let ((handle (llm-native--make-handle :id 0 :url "http://127.0.0.1/x"))
        (spec (list :method "POST" :url "http://127.0.0.1/x?key=k"
                    :headers '("Authorization: Bearer k" "Content-Type: application/json")
                    :body "{}"))
        (event '(0 done 200 nil))
        (llm-native--runtime nil)
        (llm-native--last-req llm-native--last-req)
        (llm-native--history llm-native--history))
    (garbage-collect)
    (let ((start (float-time)))
      (dotimes (_ n)
        (llm-native--request-started handle spec)
        (llm-native--request-ended handle event))
      (/ (- (float-time) start) n))))

(defun llm-native-bench-log-cost (throughput)
  "One run of the log-cost scenario; THROUGHPUT is the throughput scenario's base.
At each log level: 200 small streamed chats one after another (where a
per-request cost shows), and at nil and `info' the 20,000-token stream
\=(where a per-byte cost would).  The log buffer is emptied first."
  (let* ((small (llm-native-bench--scenario
                 (list :generate (list :dialect "openai-chat" :tokens 20))))
         (provider (llm-native-bench--openai small))
         (result nil) (ok t))
    (dolist (level '(nil info debug))
      (let ((llm-native-log-level level)
            (name (if level (symbol-name level) "off")))
        (when (get-buffer "*llm-native-log*") (kill-buffer "*llm-native-log*"))
        (garbage-collect)
        (let ((before (llm-native-bench--snapshot)))
          (dotimes (_ llm-native-bench--log-small)
            (let ((stream (llm-native-bench--stream provider)))
              (llm-native-bench--wait (lambda () (llm-native-bench--finished-p stream)) 60)
              (when (plist-get (funcall stream) :error) (setq ok nil))))
          (let ((delta (llm-native-bench--delta before)))
            (setq result (append result
                                 (list (intern (concat ":small-" name)) (plist-get delta :wall))
                                 (unless (eq level 'debug)
                                   (list (intern (concat ":main-cpu-" name))
                                         (plist-get delta :main-cpu)))))))
        (unless (eq level 'debug)
          (let ((stream (llm-native-bench-throughput throughput)))
            (unless (plist-get stream :text-ok) (setq ok nil))
            (setq result (append result (list (intern (concat ":stream-" name))
                                              (plist-get stream :wall)))))
          (setq result (append result (list (intern (concat ":hooks-" name))
                                            (llm-native-bench--log-hooks 2000)))))))
    (when (get-buffer "*llm-native-log*") (kill-buffer "*llm-native-log*"))
    (append result (list :text-ok ok))))

(defun llm-native-bench--warm-up ()
  "Make one short request, outside every measurement.
It opens the engine and the connection path (or, for the incumbent,
loads what llm's plz path loads on first use)."
  (let* ((warm (llm-native-bench--scenario (list :generate (list :dialect "openai-chat" :tokens 10))))
         (s (llm-native-bench--stream (llm-native-bench--openai warm))))
    (llm-native-bench--wait (lambda () (llm-native-bench--finished-p s)) 30)))

(defun llm-native-bench--run-incumbent (scenarios)
  "Run SCENARIOS on the incumbent; return their results, (NAME SUMMARY JSON) lists.
Each scenario is (NAME RUNS THUNK BOUND): each run's streams must end
within BOUND seconds.  `llm-native-mode' is off meanwhile, so llm's
own code serves the providers."
  (llm-native-mode -1)
  (unwind-protect
      ;; An error in a process filter must not end this batch Emacs (Emacs 28
      ;; prints a backtrace, then its default error reporter exits): report
      ;; it as an interactive Emacs would, and record it.
      (let ((backtrace-on-error-noninteractive nil)
            (command-error-function #'llm-native-bench--record-command-error))
        (llm-native-bench--warm-up)
        (mapcar (lambda (scenario)
                  (let ((llm-native-bench--stream-timeout (nth 3 scenario)))
                    (llm-native-bench--run-scenario (nth 0 scenario) (nth 1 scenario)
                                                    (nth 2 scenario) "incumbent")))
                scenarios))
    (llm-native-mode 1)))

(defun llm-native-bench-main ()
  "Run every benchmark scenario, print JSON lines and a table, and exit.
With `llm-native-bench-incumbent-dirs', also run the incumbent's
scenarios and print the comparison."
  (let* ((runs llm-native-bench-runs)
         (compare (and llm-native-bench-incumbent-dirs t))
         (impl (and compare "llm-native"))
         (results nil)
         (incumbent nil)
         (json-lines nil))
    (when (and compare (not (llm-native-bench--incumbent-loaded-p)))
      (error "LLM_NATIVE_BENCH_INCUMBENT is set but the real llm and plz are not on load-path \
\(run the driver through `make bench')"))
    (llm-native-test-server-port)
    ;; Open the engine and the connection path once, outside every measurement.
    (llm-native-bench--warm-up)
    (cl-flet ((run (name runs thunk)
                (let ((result (llm-native-bench--run-scenario name runs thunk impl)))
                  (push (cons name (nth 1 result)) results)
                  (push (nth 2 result) json-lines))))
      (let ((throughput (llm-native-bench--throughput-scenario))
            (concurrent (llm-native-bench--scenario
                         (list :generate (list :dialect "openai-chat" :tokens 1000))))
            (concurrent-ascii (llm-native-bench--scenario
                               (list :generate (list :dialect "openai-chat" :tokens 1000
                                                     :text llm-native-bench--ascii-tokens))))
            (concurrent-ollama (llm-native-bench--scenario
                                (list :generate (list :dialect "ollama" :tokens 1000
                                                      :text llm-native-bench--ascii-tokens))))
            (big-gemini (llm-native-bench--big-scenario "gemini"))
            (big-sse (llm-native-bench--big-scenario "openai-chat"))
            ;; Small writes, so that text trickles in and the consumer runs often.
            (short (llm-native-bench--scenario
                    (list :generate (list :dialect "openai-chat" :tokens 5))))
            (heavy (llm-native-bench--scenario
                    (list :generate (list :dialect "openai-chat" :tokens 4000) :chunk 64))))
        (run "throughput" runs (lambda () (llm-native-bench-throughput throughput)))
        (run "latency" runs #'llm-native-bench-latency)
        (run "responsiveness" runs (lambda () (llm-native-bench-responsiveness throughput)))
        (run "concurrency" runs (lambda () (llm-native-bench-concurrency concurrent)))
        (run "concurrency-ascii" runs (lambda () (llm-native-bench-concurrency concurrent-ascii)))
        (run "concurrency-ascii-ollama" runs
             (lambda () (llm-native-bench-concurrency-ollama concurrent-ollama)))
        (when compare
          (run "concurrency-10x1000" runs
               (lambda () (llm-native-bench-concurrency concurrent llm-native-bench--bounded-streams))))
        (run "start-path" runs (lambda () (llm-native-bench-start-path short)))
        (run "responsiveness-busy" runs
             (lambda () (llm-native-bench--with-busy-core
                         (lambda () (llm-native-bench-responsiveness throughput)))))
        (run "concurrency-busy" runs
             (lambda () (llm-native-bench--with-busy-core
                         (lambda () (llm-native-bench-concurrency concurrent)))))
        (run "concurrency-session-heap" nil
             (lambda () (llm-native-bench-concurrency-session-heap concurrent)))
        (run "big-record-json-array" runs (lambda () (llm-native-bench-big-gemini big-gemini)))
        (run "big-record-sse" runs (lambda () (llm-native-bench-big-sse big-sse)))
        (run "heavy-consumer" runs (lambda () (llm-native-bench-heavy-consumer heavy)))
        (run "memory" nil #'llm-native-bench-memory)
        (run "flood" nil #'llm-native-bench-flood)
        (run "limit-curl" runs (lambda () (llm-native-bench-curl throughput)))
        (run "limit-core" nil (lambda () (llm-native-bench-core throughput runs)))
        (run "log-cost" runs (lambda () (llm-native-bench-log-cost throughput)))
        ;; Last: they close the engine, to measure cold connections.
        (run "ttft-tls" nil (lambda () (llm-native-bench-ttft (llm-native-test-tls-base short))))
        (run "ttft-h2" nil (lambda () (llm-native-bench-h2 short)))
        (when compare
          (let ((slow llm-native-bench-incumbent-slow-runs)
                (some llm-native-bench-incumbent-runs)
                (big llm-native-bench-incumbent-bound)
                (long llm-native-bench-incumbent-long-bound))
            (dolist (result (llm-native-bench--run-incumbent
                             `(("throughput" ,slow ,(lambda () (llm-native-bench-throughput throughput))
                                ,long)
                               ("latency" ,some llm-native-bench-latency ,long)
                               ("responsiveness" ,slow
                                ,(lambda () (llm-native-bench-responsiveness throughput)) ,long)
                               ("concurrency-10x1000" ,some
                                ,(lambda () (llm-native-bench-concurrency
                                             concurrent llm-native-bench--bounded-streams))
                                ,long)
                               ("big-record-json-array" ,slow
                                ,(lambda () (llm-native-bench-big-gemini big-gemini)) ,big)
                               ("big-record-sse" ,some ,(lambda () (llm-native-bench-big-sse big-sse))
                                ,big)
                               ("heavy-consumer" ,some
                                ,(lambda () (llm-native-bench-heavy-consumer heavy)) ,long)
                               ("start-path" ,some
                                ,(lambda () (llm-native-bench-start-path short)) ,long))))
              (push (cons (nth 0 result) (nth 1 result)) incumbent)
              (push (nth 2 result) json-lines))))))
    (setq results (nreverse results)
          incumbent (nreverse incumbent))
    (let ((file (llm-native-bench--output-file)))
      (make-directory (file-name-directory file) t)
      (with-temp-file file
        (dolist (line (reverse json-lines)) (insert line "\n"))))
    (if compare
        (llm-native-bench--print-comparison results incumbent)
      (llm-native-bench--print-table results))
    (kill-emacs 0)))

(provide 'llm-native-bench)
;;; llm-native-bench.el ends here

// std::thread with iostream under minemu: threads, mutexes, condition
// variables, atomics, thread_local and futures, with output in a fixed
// order (totals printed by the main thread after joining).
#include <atomic>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <numeric>
#include <sstream>
#include <thread>
#include <vector>

static thread_local int tl = 7;

int main()
{
	std::ios::sync_with_stdio(true);
	// Threads adding to a mutex-guarded total and an atomic one.
	std::mutex mu;
	long guarded = 0;
	std::atomic<long> atomic_total{0};
	std::vector<std::thread> ts;
	for (int i = 0; i < 6; i++)
		ts.emplace_back([&, i] {
			for (int j = 0; j < 20000; j++) {
				std::lock_guard<std::mutex> g(mu);
				guarded += i;
			}
			for (int j = 0; j < 100000; j++)
				atomic_total.fetch_add(1);
		});
	for (auto &t : ts)
		t.join();
	std::cout << "guarded " << guarded << ", atomic " << atomic_total.load() << std::endl;

	// A condition variable handing numbers from one thread to another.
	std::condition_variable cv;
	std::vector<int> box;
	bool done = false;
	long got = 0;
	std::thread consumer([&] {
		std::unique_lock<std::mutex> l(mu);
		for (;;) {
			cv.wait(l, [&] { return !box.empty() || done; });
			for (int v : box)
				got += v;
			box.clear();
			if (done)
				return;
		}
	});
	for (int i = 1; i <= 1000; i++) {
		std::lock_guard<std::mutex> g(mu);
		box.push_back(i);
		cv.notify_one();
	}
	{
		std::lock_guard<std::mutex> g(mu);
		done = true;
	}
	cv.notify_one();
	consumer.join();
	std::cout << "condition variable " << got << std::endl;

	// thread_local: each thread has its own.
	std::vector<int> seen(4);
	std::vector<std::thread> tt;
	for (int i = 0; i < 4; i++)
		tt.emplace_back([&, i] {
			int before = tl;
			tl = 100 + i;
			seen[i] = before * 1000 + tl;
		});
	for (auto &t : tt)
		t.join();
	std::cout << "thread_local";
	for (int v : seen)
		std::cout << ' ' << v;
	std::cout << ", main " << tl << std::endl;

	// Futures.
	std::vector<std::future<long>> fs;
	for (long n = 1; n <= 5; n++)
		fs.push_back(std::async(std::launch::async, [n] {
			long s = 0;
			for (long k = 1; k <= n * 1000; k++)
				s += k;
			return s;
		}));
	std::cout << "async";
	for (auto &f : fs)
		std::cout << ' ' << f.get();
	std::cout << std::endl;

	// Output from threads, ordered by a mutex and a turn counter.
	int turn = 0;
	std::ostringstream out;
	std::vector<std::thread> wr;
	for (int i = 0; i < 4; i++)
		wr.emplace_back([&, i] {
			std::unique_lock<std::mutex> l(mu);
			cv.wait(l, [&] { return turn == i; });
			out << "thread " << i << " says hello\n";
			turn++;
			cv.notify_all();
		});
	for (auto &t : wr)
		t.join();
	std::cout << out.str() << "hardware_concurrency > 0: " << (std::thread::hardware_concurrency() > 0) << std::endl;
	return 0;
}

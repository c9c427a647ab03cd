// Reads observations (one per line, whitespace-separated floats) from stdin and prints the
// deployed policy's action for each, one line per observation.
//   ratchet export runs/ppo-CartPole-v1-s1 -o cartpole.rpol
//   echo "0.01 0.2 -0.03 -0.3" | ./act cartpole.rpol
#include <ratchet/deploy.h>

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: act POLICY.rpol < observations\n";
    return 2;
  }
  try {
    const ratchet::DeployedPolicy policy = ratchet::DeployedPolicy::Load(argv[1]);
    std::vector<float> obs, action(policy.action_dim());
    for (std::string line; std::getline(std::cin, line);) {
      std::istringstream in(line);
      obs.clear();
      for (float x; in >> x;) obs.push_back(x);
      if (obs.empty()) continue;
      policy.Act(obs, action);
      for (size_t d = 0; d < action.size(); ++d) std::printf("%s%.9g", d ? " " : "", action[d]);
      std::printf("\n");
    }
  } catch (const ratchet::DeployError& e) {
    std::cerr << "act: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
